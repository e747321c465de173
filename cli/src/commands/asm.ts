import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { assemble, writeObject, VmLoadError } from '@flowshield/vm';
import { CliError } from '../errors.js';
import { io } from '../io.js';

const DEFAULT_SECTION = 'cf_ebpf_generic';

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble bpf_conformance-syntax assembly into an ELF object (-o FILE.o or --elf) that verify, test and deploy load, or into instruction bytes')
    .argument('<file>', 'assembly source (.s)')
    .option('-o, --output <file>', 'write the program here: an ELF object when FILE ends in .o or with --elf, else raw little-endian instruction bytes (default: print hex)')
    .option('--elf', 'write an ELF object whatever the output\'s name')
    .option('--section <name>', `the object's program section, which sets its type (flowshield, xdp, socket, else cf_ebpf_generic)`, DEFAULT_SECTION)
    .option('--json', 'print {"instructions": n, "hex": "...", "output": path or null, "format": "elf" or "raw"}')
    .action((file: string, opts: { output?: string; elf?: boolean; section: string; json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = assemble(readFileSync(file, 'utf8'));
      } catch (err) {
        if (err instanceof VmLoadError) throw new CliError(err.code, `${file}: ${err.message}`, { cause: err });
        throw new CliError('FS_ERR_CLI_READ', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
      const hex = Buffer.from(bytes).toString('hex');
      const elf = opts.elf === true || (opts.output?.endsWith('.o') ?? false);
      if (opts.output) writeFileSync(opts.output, elf ? writeObject(bytes, opts.section) : bytes);
      if (opts.json) io().stdout.write(JSON.stringify({ instructions: bytes.length / 8, hex, output: opts.output ?? null, format: elf ? 'elf' : 'raw' }) + '\n');
      else if (!opts.output) io().stdout.write(hex.replace(/(.{16})/g, '$1\n'));
    });
}
