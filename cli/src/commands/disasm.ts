import type { Command } from 'commander';
import { decodeProgram, disassemble, formatInstruction, loadObject, validateSlots, VmLoadError } from '@flowshield/vm';
import { CliError } from '../errors.js';
import { readInput } from './load.js';
import { io } from '../io.js';

const isElf = (b: Uint8Array) => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** Text of a linked object: function labels, and the source line as a comment where it changes. */
function disassembleObject(bytes: Uint8Array, section: string | undefined): string {
  const object = loadObject(bytes, { section });
  const decoded = validateSlots(object.slots);
  const lines: string[] = [`# section ${object.section}, entry ${object.entry}`];
  let lastSource = '';
  decoded.slots.forEach((inst, i) => {
    const info = decoded.infos[i];
    if (!info) return;
    const fn = object.functions.find((f) => f.start === i);
    if (fn) lines.push(`${fn.name}:`);
    const source = object.lineOf(i);
    const where = source && source.line > 0 ? `${source.file.split('/').pop()}:${source.line}` : '';
    if (where && where !== lastSource) {
      lines.push(`    # ${where}: ${source!.text ?? ''}`.trimEnd());
      lastSource = where;
    }
    const target = decoded.targets.get(i);
    const label = target === undefined ? undefined : `${target - i - 1 >= 0 ? '+' : ''}${target - i - 1}`;
    lines.push(`    ${String(i).padStart(4)}: ${formatInstruction(info, inst, decoded.slots[i + 1], label)}`);
  });
  return lines.join('\n') + '\n';
}

export function registerDisasm(program: Command): void {
  program
    .command('disasm')
    .description('disassemble an eBPF object file (or raw instruction bytes) into bpf_conformance syntax')
    .argument('<program>', 'object file, or raw little-endian instruction bytes')
    .option('--section <name>', 'program section of an object file')
    .option('--raw', 'print plain assembly that `flowshield asm` reads back (no indexes or source lines)')
    .action((path: string, opts: { section?: string; raw?: boolean }) => {
      const bytes = readInput(path);
      try {
        if (!isElf(bytes)) io().stdout.write(disassemble(decodeProgram(bytes)));
        else if (opts.raw) io().stdout.write(disassemble(validateSlots(loadObject(bytes, { section: opts.section }).slots)));
        else io().stdout.write(disassembleObject(bytes, opts.section));
      } catch (err) {
        if (err instanceof VmLoadError) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
        throw err;
      }
    });
}
