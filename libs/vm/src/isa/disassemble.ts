import { decodeProgram, type DecodedProgram } from './decode.js';
import type { RawInstruction } from './instruction.js';
import { ATOMIC_NAMES, type OpcodeInfo } from './instruction-table.js';
import { AluOp, CallKind, opOf } from './opcodes.js';

const reg = (n: number): string => `%r${n}`;

/** Small immediates in decimal, the rest in hex as the unsigned 32-bit pattern (round-trips through the assembler). */
export function formatImm(imm: number): string {
  return imm > -65536 && imm < 65536 ? String(imm) : `0x${(imm >>> 0).toString(16)}`;
}

const formatOffset = (offset: number): string => (offset >= 0 ? `+${offset}` : String(offset));
const memOperand = (base: number, offset: number): string => (offset === 0 ? `[${reg(base)}]` : `[${reg(base)}${formatOffset(offset)}]`);

/** The mnemonic of one instruction, with the variants that depend on fields other than the opcode. */
export function mnemonicOf(info: OpcodeInfo, inst: RawInstruction): string {
  const suffix = info.is64 ? '' : '32';
  switch (info.kind) {
    case 'alu': {
      const op = opOf(inst.opcode);
      if ((op === AluOp.DIV || op === AluOp.MOD) && inst.offset === 1) return `s${info.mnemonic}`;
      if (op === AluOp.MOV && inst.offset !== 0) return `movsx${inst.offset}${info.is64 ? '64' : '32'}`;
      return info.mnemonic;
    }
    case 'end':
      return `${info.mnemonic}${inst.imm}`;
    case 'atomic':
      return `lock ${ATOMIC_NAMES[inst.imm] ?? '?'}${suffix}`;
    default:
      return info.mnemonic;
  }
}

/**
 * One instruction in the bpf_conformance assembly syntax. `next` is the following slot (the high
 * half of an lddw); `label` names a jump target when the caller uses labels.
 */
export function formatInstruction(info: OpcodeInfo, inst: RawInstruction, next?: RawInstruction, label?: string): string {
  const name = mnemonicOf(info, inst);
  const jump = (relative: number) => label ?? formatOffset(relative);
  switch (info.kind) {
    case 'alu':
      return `${name} ${reg(inst.dst)}, ${inst.opcode & 0x08 ? reg(inst.src) : formatImm(inst.imm)}`;
    case 'neg':
    case 'end':
      return `${name} ${reg(inst.dst)}`;
    case 'lddw': {
      const value = (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(inst.imm >>> 0);
      return `lddw ${reg(inst.dst)}, 0x${value.toString(16)}`;
    }
    case 'ld-abs':
      return `${name} ${formatImm(inst.imm)}`;
    case 'ld-ind':
      return `${name} ${reg(inst.src)}, ${formatImm(inst.imm)}`;
    case 'ldx':
      return `${name} ${reg(inst.dst)}, ${memOperand(inst.src, inst.offset)}`;
    case 'st':
      return `${name} ${memOperand(inst.dst, inst.offset)}, ${formatImm(inst.imm)}`;
    case 'stx':
    case 'atomic':
      return `${name} ${memOperand(inst.dst, inst.offset)}, ${reg(inst.src)}`;
    case 'ja':
      return `ja ${jump(inst.offset)}`;
    case 'ja32':
      return `ja32 ${jump(inst.imm)}`;
    case 'jcond':
      return `${name} ${reg(inst.dst)}, ${inst.opcode & 0x08 ? reg(inst.src) : formatImm(inst.imm)}, ${jump(inst.offset)}`;
    case 'call':
      return inst.src === CallKind.LOCAL ? `call local ${jump(inst.imm)}` : `call ${inst.imm}`;
    case 'callx':
      return `call ${reg(inst.dst)}`;
    case 'exit':
      return 'exit';
  }
}

export interface DisassembleOptions {
  /** Name jump targets with labels (`L12:`) instead of relative offsets. Default true. */
  labels?: boolean;
}

/** Program text in the bpf_conformance assembly syntax; `assemble` turns it back into the same bytes. */
export function disassemble(program: Uint8Array | DecodedProgram, options: DisassembleOptions = {}): string {
  const decoded = program instanceof Uint8Array ? decodeProgram(program) : program;
  const useLabels = options.labels ?? true;
  const labelOf = (slot: number) => `L${slot}`;
  const labelled = new Set(useLabels ? decoded.targets.values() : []);
  const lines: string[] = [];
  decoded.slots.forEach((inst, i) => {
    const info = decoded.infos[i];
    if (!info) return;
    if (labelled.has(i)) lines.push(`${labelOf(i)}:`);
    const target = decoded.targets.get(i);
    const label = useLabels && target !== undefined ? labelOf(target) : undefined;
    lines.push(formatInstruction(info, inst, decoded.slots[i + 1], label));
  });
  return lines.join('\n') + '\n';
}
