import { AssemblyError } from '../errors.js';
import { encodeProgram, type RawInstruction } from './instruction.js';
import { ATOMIC_NAMES } from './instruction-table.js';
import { AluOp, CallKind, Class, JmpOp, Mode, Op, Size, Source } from './opcodes.js';

/*
 * Assembler for the syntax of bpf_conformance `-- asm` sections: `%rN` registers, `[%rN+off]`
 * memory operands, `label:` lines, jump targets as labels or `+N`/`-N`, `#` comments, `lock
 * [fetch] op[32]`, `call N` (helper), `call local target`, `call %rN` (callx), `lddw %rN, imm64`.
 * A jump to the undefined label `exit` means the next `exit` instruction (the suite uses it so).
 */

const ALU_OPS: Record<string, number> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, sdiv: AluOp.DIV, or: AluOp.OR, and: AluOp.AND,
  lsh: AluOp.LSH, rsh: AluOp.RSH, neg: AluOp.NEG, mod: AluOp.MOD, smod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV,
  arsh: AluOp.ARSH,
};
const JMP_OPS: Record<string, number> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT,
  jsge: JmpOp.JSGE, jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};
const SIZES: Record<string, number> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };
const ATOMIC_OPS: Record<string, number> = Object.fromEntries(Object.entries(ATOMIC_NAMES).map(([imm, name]) => [name, Number(imm)]));

interface PendingJump {
  slot: number;
  label: string;
  field: 'offset' | 'imm';
  line: number;
}

class Assembler {
  readonly slots: RawInstruction[] = [];
  private readonly labels = new Map<string, number>();
  private readonly pending: PendingJump[] = [];
  private line = 0;

  assemble(source: string): Uint8Array {
    source.split(/\r?\n/).forEach((text, i) => {
      this.line = i + 1;
      this.statement(text.replace(/(#|\/\/|;).*$/, '').trim());
    });
    for (const jump of this.pending) this.resolve(jump);
    if (this.slots.length === 0) throw new AssemblyError(0, 'no instructions');
    return encodeProgram(this.slots);
  }

  private fail(message: string): never {
    throw new AssemblyError(this.line, message);
  }

  private statement(text: string): void {
    const label = /^([A-Za-z_.$][\w.$]*):\s*(.*)$/.exec(text);
    if (label) {
      if (this.labels.has(label[1]!)) this.fail(`label ${label[1]} defined twice`);
      this.labels.set(label[1]!, this.slots.length);
      text = label[2]!;
    }
    if (!text) return;
    const space = text.search(/\s/);
    const mnemonic = (space < 0 ? text : text.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : text.slice(space + 1).trim();
    if (mnemonic === 'lock') return this.atomic(rest);
    const operands = rest ? splitOperands(rest) : [];
    this.instruction(mnemonic, operands);
  }

  private emit(inst: Partial<RawInstruction> & { opcode: number }): number {
    this.slots.push({ dst: 0, src: 0, offset: 0, imm: 0, ...inst });
    return this.slots.length - 1;
  }

  private instruction(m: string, ops: string[]): void {
    const want = (n: number) => { if (ops.length !== n) this.fail(`${m} takes ${n} operand(s), got ${ops.length}`); };
    let match: RegExpExecArray | null;

    if (m === 'exit') { want(0); this.emit({ opcode: Op.EXIT }); return; }
    if (m === 'lddw') {
      want(2);
      const value = this.imm64(ops[1]!);
      this.emit({ opcode: Op.LDDW, dst: this.reg(ops[0]!), imm: Number(BigInt.asIntN(32, value)) });
      this.emit({ opcode: 0, imm: Number(BigInt.asIntN(32, value >> 32n)) });
      return;
    }
    if (m === 'ja' || m === 'ja32') {
      want(1);
      const slot = this.emit({ opcode: m === 'ja' ? Op.JA : Op.JA32 });
      this.target(slot, ops[0]!, m === 'ja' ? 'offset' : 'imm');
      return;
    }
    if (m === 'call' || m === 'callx') return this.call(m, ops);
    if ((match = /^(be|le|bswap|swap)(16|32|64)$/.exec(m))) {
      want(1);
      const opcode = match[1] === 'le' ? Op.LE : match[1] === 'be' ? Op.BE : Op.BSWAP;
      this.emit({ opcode, dst: this.reg(ops[0]!), imm: Number(match[2]) });
      return;
    }
    if ((match = /^movsx(8|16|32)(32|64)$/.exec(m))) {
      want(2);
      this.emit({ opcode: (match[2] === '64' ? Class.ALU64 : Class.ALU) | Source.X | AluOp.MOV, dst: this.reg(ops[0]!), src: this.reg(ops[1]!), offset: Number(match[1]) });
      return;
    }
    if ((match = /^(ldx|ldxs|st|stx)(b|h|w|dw)$/.exec(m))) return this.memory(match[1]!, SIZES[match[2]!]!, ops);
    if ((match = /^ld(abs|ind)(b|h|w|dw)$/.exec(m))) {
      const size = SIZES[match[2]!]!;
      if (match[1] === 'abs') { want(1); this.emit({ opcode: Class.LD | size | Mode.ABS, imm: this.imm32(ops[0]!) }); }
      else { want(2); this.emit({ opcode: Class.LD | size | Mode.IND, src: this.reg(ops[0]!), imm: this.imm32(ops[1]!) }); }
      return;
    }
    if ((match = /^([a-z]+?)(32)?$/.exec(m)) && JMP_OPS[match[1]!] !== undefined) {
      want(3);
      const cls = match[2] ? Class.JMP32 : Class.JMP;
      const [src, imm, source] = this.regOrImm(ops[1]!);
      const slot = this.emit({ opcode: cls | source | JMP_OPS[match[1]!]!, dst: this.reg(ops[0]!), src, imm });
      this.target(slot, ops[2]!, 'offset');
      return;
    }
    if ((match = /^([a-z]+?)(32|64)?$/.exec(m)) && ALU_OPS[match[1]!] !== undefined) {
      const name = match[1]!;
      const cls = match[2] === '32' ? Class.ALU : Class.ALU64;
      const offset = name === 'sdiv' || name === 'smod' ? 1 : 0;
      if (name === 'neg') {
        want(1);
        this.emit({ opcode: cls | Source.K | AluOp.NEG, dst: this.reg(ops[0]!) });
        return;
      }
      want(2);
      const [src, imm, source] = this.regOrImm(ops[1]!);
      this.emit({ opcode: cls | source | ALU_OPS[name]!, dst: this.reg(ops[0]!), src, imm, offset });
      return;
    }
    this.fail(`unknown instruction '${m}'`);
  }

  private call(m: string, ops: string[]): void {
    if (ops.length === 1 && ops[0]!.startsWith('%')) {
      this.emit({ opcode: Op.CALLX, dst: this.reg(ops[0]!) });
      return;
    }
    if (m === 'callx') this.fail('callx takes a register');
    const words = ops.join(' ').split(/\s+/);
    if (words[0] === 'local' && words.length === 2) {
      const slot = this.emit({ opcode: Op.CALL, src: CallKind.LOCAL });
      this.target(slot, words[1]!, 'imm');
      return;
    }
    const id = words[0] === 'helper' && words.length === 2 ? words[1]! : words.length === 1 ? words[0]! : undefined;
    if (id === undefined) this.fail(`bad call operands '${ops.join(', ')}'`);
    this.emit({ opcode: Op.CALL, src: CallKind.HELPER, imm: this.imm32(id) });
  }

  private memory(kind: string, size: number, ops: string[]): void {
    if (ops.length !== 2) this.fail(`${kind} takes 2 operands`);
    if (kind === 'ldx' || kind === 'ldxs') {
      if (kind === 'ldxs' && size === Size.DW) this.fail('there is no sign-extending 64-bit load');
      const [src, offset] = this.mem(ops[1]!);
      this.emit({ opcode: Class.LDX | size | (kind === 'ldx' ? Mode.MEM : Mode.MEMSX), dst: this.reg(ops[0]!), src, offset });
    } else if (kind === 'st') {
      const [dst, offset] = this.mem(ops[0]!);
      this.emit({ opcode: Class.ST | size | Mode.MEM, dst, offset, imm: this.imm32(ops[1]!) });
    } else {
      const [dst, offset] = this.mem(ops[0]!);
      this.emit({ opcode: Class.STX | size | Mode.MEM, dst, offset, src: this.reg(ops[1]!) });
    }
  }

  /** `lock [fetch] add[32] [%rD+off], %rS`, `lock xchg[32] ...`, `lock cmpxchg[32] ...` */
  private atomic(rest: string): void {
    const match = /^(fetch\s+)?([a-z]+?)(32)?\s+(\[[^\]]*\])\s*,\s*(%r\d+)$/.exec(rest);
    if (!match) this.fail(`bad atomic instruction 'lock ${rest}'`);
    const name = (match[1] ? 'fetch ' : '') + match[2];
    const imm = ATOMIC_OPS[name];
    if (imm === undefined) this.fail(`unknown atomic operation '${name}'`);
    const [dst, offset] = this.mem(match[4]!);
    this.emit({ opcode: match[3] ? Op.ATOMIC_W : Op.ATOMIC_DW, dst, offset, src: this.reg(match[5]!), imm });
  }

  private target(slot: number, text: string, field: 'offset' | 'imm'): void {
    if (/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(text)) {
      const value = Number(this.parseInteger(text));
      this.slots[slot]![field] = field === 'offset' ? this.checkRange(value, -32768, 32767, 'jump offset') : this.checkRange(value, -(2 ** 31), 2 ** 31 - 1, 'jump offset');
      return;
    }
    this.pending.push({ slot, label: text, field, line: this.line });
  }

  private resolve(jump: PendingJump): void {
    let target = this.labels.get(jump.label);
    if (target === undefined && jump.label === 'exit') {
      const after = this.slots.findIndex((s, i) => i > jump.slot && s.opcode === Op.EXIT);
      target = after >= 0 ? after : this.slots.map((s) => s.opcode).lastIndexOf(Op.EXIT);
      if (target < 0) target = undefined;
    }
    if (target === undefined) throw new AssemblyError(jump.line, `undefined label '${jump.label}'`);
    const relative = target - jump.slot - 1;
    if (jump.field === 'offset' && (relative < -32768 || relative > 32767)) throw new AssemblyError(jump.line, `jump to '${jump.label}' is too far for a 16-bit offset`);
    this.slots[jump.slot]![jump.field] = relative;
  }

  private reg(text: string): number {
    const match = /^%r(\d+)$/.exec(text.trim());
    if (!match || Number(match[1]) > 15) this.fail(`expected a register like %r1, got '${text}'`);
    return Number(match[1]);
  }

  private mem(text: string): [number, number] {
    const match = /^\[\s*(%r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?\s*\]$/i.exec(text.trim());
    if (!match) this.fail(`expected a memory operand like [%r1+4], got '${text}'`);
    const magnitude = match[3] ? Number(BigInt(match[3])) : 0;
    const offset = match[2] === '-' ? -magnitude : magnitude;
    return [this.reg(match[1]!), this.checkRange(offset, -32768, 32767, 'memory offset')];
  }

  private regOrImm(text: string): [src: number, imm: number, source: number] {
    return text.trim().startsWith('%') ? [this.reg(text), 0, Source.X] : [0, this.imm32(text), Source.K];
  }

  private parseInteger(text: string): bigint {
    const match = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text.trim());
    if (!match) this.fail(`expected a number, got '${text}'`);
    const magnitude = BigInt(match[2]!);
    return match[1] === '-' ? -magnitude : magnitude;
  }

  /** A 32-bit immediate, written signed or as its unsigned pattern. */
  private imm32(text: string): number {
    const value = this.parseInteger(text);
    if (value < -(2n ** 31n) || value >= 2n ** 32n) this.fail(`immediate ${text} does not fit in 32 bits`);
    return Number(BigInt.asIntN(32, value));
  }

  private imm64(text: string): bigint {
    const value = this.parseInteger(text);
    if (value < -(2n ** 63n) || value >= 2n ** 64n) this.fail(`immediate ${text} does not fit in 64 bits`);
    return BigInt.asUintN(64, value);
  }

  private checkRange(value: number, min: number, max: number, what: string): number {
    if (value < min || value > max) this.fail(`${what} ${value} is outside ${min}..${max}`);
    return value;
  }
}

function splitOperands(text: string): string[] {
  // Commas inside [ ] never occur in this syntax, so a plain split is enough.
  return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Assembles bpf_conformance-syntax text into little-endian instruction bytes. */
export function assemble(source: string): Uint8Array {
  return new Assembler().assemble(source);
}
