import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { assemble, VmLoadError } from '@flowshield/vm';
import { CliError } from '../errors.js';
import { io } from '../io.js';

export function registerAsm(program: Command): void {
  program
    .command('asm')
    .description('assemble bpf_conformance-syntax assembly into instruction bytes')
    .argument('<file>', 'assembly source (.s)')
    .option('-o, --output <file>', 'write raw little-endian instruction bytes here (default: print hex)')
    .option('--json', 'print {"instructions": n, "hex": "..."}')
    .action((file: string, opts: { output?: string; json?: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = assemble(readFileSync(file, 'utf8'));
      } catch (err) {
        if (err instanceof VmLoadError) throw new CliError(err.code, `${file}: ${err.message}`, { cause: err });
        throw new CliError('FS_ERR_CLI_READ', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
      }
      const hex = Buffer.from(bytes).toString('hex');
      if (opts.output) writeFileSync(opts.output, bytes);
      if (opts.json) io().stdout.write(JSON.stringify({ instructions: bytes.length / 8, hex, output: opts.output ?? null }) + '\n');
      else if (!opts.output) io().stdout.write(hex.replace(/(.{16})/g, '$1\n'));
    });
}
