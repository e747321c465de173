import { AluOp, AtomicOp, CallKind, Class, JmpOp, Mode, Op, Size, Source } from './opcodes.js';
import type { RawInstruction } from './instruction.js';

/** What an instruction does, as the interpreter, compiler, verifier and disassembler see it. */
export type Kind =
  | 'alu' // dst op= src/imm (32 or 64 bit)
  | 'neg'
  | 'end' // byte swap: le/be (ALU) or bswap (ALU64)
  | 'lddw'
  | 'ld-abs' // legacy packet load, r0 = ntoh(packet[imm])
  | 'ld-ind' // legacy packet load, r0 = ntoh(packet[src + imm])
  | 'ldx'
  | 'st'
  | 'stx'
  | 'atomic'
  | 'ja'
  | 'ja32'
  | 'jcond'
  | 'call'
  | 'callx'
  | 'exit';

export interface OpcodeInfo {
  opcode: number;
  kind: Kind;
  /** Base mnemonic; field-dependent variants (sdiv, movsx, le16, lock ops) are resolved by `mnemonicOf`. */
  mnemonic: string;
  is64: boolean;
  /** Memory access width in bytes for loads, stores and atomics; 0 otherwise. */
  width: number;
  /** Returns why the other fields of `inst` are not valid for this opcode, or null. */
  check: (inst: RawInstruction) => string | null;
}

const ALU_NAMES: Record<number, string> = {
  [AluOp.ADD]: 'add', [AluOp.SUB]: 'sub', [AluOp.MUL]: 'mul', [AluOp.DIV]: 'div', [AluOp.OR]: 'or',
  [AluOp.AND]: 'and', [AluOp.LSH]: 'lsh', [AluOp.RSH]: 'rsh', [AluOp.NEG]: 'neg', [AluOp.MOD]: 'mod',
  [AluOp.XOR]: 'xor', [AluOp.MOV]: 'mov', [AluOp.ARSH]: 'arsh',
};

const JMP_NAMES: Record<number, string> = {
  [JmpOp.JEQ]: 'jeq', [JmpOp.JGT]: 'jgt', [JmpOp.JGE]: 'jge', [JmpOp.JSET]: 'jset', [JmpOp.JNE]: 'jne',
  [JmpOp.JSGT]: 'jsgt', [JmpOp.JSGE]: 'jsge', [JmpOp.JLT]: 'jlt', [JmpOp.JLE]: 'jle', [JmpOp.JSLT]: 'jslt',
  [JmpOp.JSLE]: 'jsle',
};

const SIZE_SUFFIX: Record<number, string> = { [Size.W]: 'w', [Size.H]: 'h', [Size.B]: 'b', [Size.DW]: 'dw' };
const SIZE_WIDTH: Record<number, number> = { [Size.W]: 4, [Size.H]: 2, [Size.B]: 1, [Size.DW]: 8 };

export const ATOMIC_NAMES: Record<number, string> = {
  [AtomicOp.ADD]: 'add', [AtomicOp.OR]: 'or', [AtomicOp.AND]: 'and', [AtomicOp.XOR]: 'xor',
  [AtomicOp.ADD | AtomicOp.FETCH]: 'fetch add', [AtomicOp.OR | AtomicOp.FETCH]: 'fetch or',
  [AtomicOp.AND | AtomicOp.FETCH]: 'fetch and', [AtomicOp.XOR | AtomicOp.FETCH]: 'fetch xor',
  [AtomicOp.XCHG]: 'xchg', [AtomicOp.CMPXCHG]: 'cmpxchg',
};

// Field rules, composed per opcode below. Each returns a reason or null.
type Rule = (i: RawInstruction) => string | null;
const zero = (field: 'dst' | 'src' | 'offset' | 'imm'): Rule => (i) => (i[field] === 0 ? null : `reserved field ${field} must be 0 (is ${i[field]})`);
const register = (field: 'dst' | 'src'): Rule => (i) => (i[field] <= 10 ? null : `invalid register r${i[field]} in ${field}`);
const oneOf = (field: 'src' | 'offset' | 'imm', allowed: readonly number[]): Rule => (i) =>
  allowed.includes(i[field]) ? null : `${field} must be one of ${allowed.join(', ')} (is ${i[field]})`;
const all = (...rules: Rule[]): ((i: RawInstruction) => string | null) => (i) => {
  for (const rule of rules) {
    const reason = rule(i);
    if (reason) return reason;
  }
  return null;
};

function buildTable(): Map<number, OpcodeInfo> {
  const table = new Map<number, OpcodeInfo>();
  const add = (opcode: number, kind: Kind, mnemonic: string, is64: boolean, width: number, ...rules: Rule[]) =>
    table.set(opcode, { opcode, kind, mnemonic, is64, width, check: all(...rules) });

  for (const cls of [Class.ALU, Class.ALU64]) {
    const is64 = cls === Class.ALU64;
    const suffix = is64 ? '' : '32';
    for (const [opText, name] of Object.entries(ALU_NAMES)) {
      const op = Number(opText);
      if (op === AluOp.NEG) {
        add(cls | Source.K | op, 'neg', name + suffix, is64, 0, register('dst'), zero('src'), zero('offset'), zero('imm'));
        continue;
      }
      const signedFlag = op === AluOp.DIV || op === AluOp.MOD ? [0, 1] : [0];
      const movsx = op === AluOp.MOV ? (is64 ? [0, 8, 16, 32] : [0, 8, 16]) : signedFlag;
      add(cls | Source.K | op, 'alu', name + suffix, is64, 0, register('dst'), zero('src'), oneOf('offset', signedFlag));
      add(cls | Source.X | op, 'alu', name + suffix, is64, 0, register('dst'), register('src'), zero('imm'), oneOf('offset', movsx));
    }
  }
  add(Op.LE, 'end', 'le', false, 0, register('dst'), zero('src'), zero('offset'), oneOf('imm', [16, 32, 64]));
  add(Op.BE, 'end', 'be', false, 0, register('dst'), zero('src'), zero('offset'), oneOf('imm', [16, 32, 64]));
  add(Op.BSWAP, 'end', 'bswap', true, 0, register('dst'), zero('src'), zero('offset'), oneOf('imm', [16, 32, 64]));

  for (const cls of [Class.JMP, Class.JMP32]) {
    const suffix = cls === Class.JMP32 ? '32' : '';
    for (const [opText, name] of Object.entries(JMP_NAMES)) {
      const op = Number(opText);
      add(cls | Source.K | op, 'jcond', name + suffix, cls === Class.JMP, 0, register('dst'), zero('src'));
      add(cls | Source.X | op, 'jcond', name + suffix, cls === Class.JMP, 0, register('dst'), register('src'), zero('imm'));
    }
  }
  add(Op.JA, 'ja', 'ja', true, 0, zero('dst'), zero('src'), zero('imm'));
  add(Op.JA32, 'ja32', 'ja32', true, 0, zero('dst'), zero('src'), zero('offset'));
  add(Op.CALL, 'call', 'call', true, 0, zero('dst'), zero('offset'), oneOf('src', [CallKind.HELPER, CallKind.LOCAL]));
  add(Op.CALLX, 'callx', 'callx', true, 0, register('dst'), zero('src'), zero('offset'), zero('imm'));
  add(Op.EXIT, 'exit', 'exit', true, 0, zero('dst'), zero('src'), zero('offset'), zero('imm'));

  add(Op.LDDW, 'lddw', 'lddw', true, 8, register('dst'), zero('offset'), (i) => (i.src === 0 ? null : `unresolved lddw pseudo source ${i.src} (map or BTF reference): load it through the ELF loader`));
  for (const size of [Size.W, Size.H, Size.B, Size.DW]) {
    const s = SIZE_SUFFIX[size]!;
    const width = SIZE_WIDTH[size]!;
    add(Class.LD | size | Mode.ABS, 'ld-abs', `ldabs${s}`, true, width, zero('dst'), zero('src'), zero('offset'));
    add(Class.LD | size | Mode.IND, 'ld-ind', `ldind${s}`, true, width, zero('dst'), register('src'), zero('offset'));
    add(Class.LDX | size | Mode.MEM, 'ldx', `ldx${s}`, true, width, register('dst'), register('src'), zero('imm'));
    if (size !== Size.DW) add(Class.LDX | size | Mode.MEMSX, 'ldx', `ldxs${s}`, true, width, register('dst'), register('src'), zero('imm'));
    add(Class.ST | size | Mode.MEM, 'st', `st${s}`, true, width, register('dst'), zero('src'));
    add(Class.STX | size | Mode.MEM, 'stx', `stx${s}`, true, width, register('dst'), register('src'), zero('imm'));
  }
  const atomicOps = Object.keys(ATOMIC_NAMES).map(Number);
  add(Op.ATOMIC_W, 'atomic', 'lock32', false, 4, register('dst'), register('src'), oneOf('imm', atomicOps));
  add(Op.ATOMIC_DW, 'atomic', 'lock', true, 8, register('dst'), register('src'), oneOf('imm', atomicOps));
  return table;
}

/** Every valid opcode of RFC 9669 (plus the legacy packet loads), keyed by opcode byte. */
export const INSTRUCTION_TABLE: ReadonlyMap<number, OpcodeInfo> = buildTable();

export function opcodeInfo(opcode: number): OpcodeInfo | undefined {
  return INSTRUCTION_TABLE.get(opcode);
}
