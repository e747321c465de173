import { VmErrorCode, VmFault } from '../errors.js';
import { decodeProgram, type DecodedProgram } from '../isa/decode.js';
import { formatInstruction } from '../isa/disassemble.js';
import { AluOp, AtomicOp, CallKind, Mode, Op, modeOf, opOf } from '../isa/opcodes.js';
import { HelperTable, checkBuffers, type BufferChecks, type HelperContext, type HelperFunction } from '../helpers.js';
import { MAX_CALL_DEPTH, STACK_ADDRESS, STACK_BYTES, STACK_FRAME_BYTES, STACK_TOP, type MemoryRegion } from '../memory.js';
import { arsh64, bswap16, bswap32, div64, gtS, gtU, lsh64, mod64, mul64, out, rsh64, sdiv64, smod64, toBigU } from './int64.js';

export const DEFAULT_BUDGET = 1_000_000;

export interface InterpreterOptions {
  helpers?: HelperTable;
  /** Instructions one run may execute before it is ended with BUDGET_EXHAUSTED. */
  budget?: number;
  /** the verifier's run-time checks of helper buffers (`VerifiedProgram.bufferChecks`) */
  bufferChecks?: BufferChecks;
}

export interface RunOptions {
  /** Regions the program may address besides its stack (see `layoutRegions`). */
  regions?: readonly MemoryRegion[];
  /** Initial r1..r5. */
  args?: readonly (number | bigint)[];
  /** The region legacy packet loads (`ldabs`, `ldind`) read from; default the first region. */
  packet?: MemoryRegion;
  /** Collect one `TraceStep` per executed instruction. */
  trace?: TraceStep[];
  budget?: number;
}

export interface TraceStep {
  index: number;
  text: string;
  /** r0..r10 before the instruction ran. */
  registers: bigint[];
}

/** How a run ended: r0 as two halves (cheap) and as a BigInt (exact), or a fault. */
export class RunResult {
  constructor(
    readonly lo: number,
    readonly hi: number,
    readonly fault: VmFault | null,
    readonly steps: number,
  ) {}

  get ok(): boolean {
    return this.fault === null;
  }

  /** r0 as an unsigned 64-bit value. */
  get value(): bigint {
    return toBigU(this.lo, this.hi);
  }
}

interface Region {
  start: number;
  end: number;
  view: DataView;
  bytes: Uint8Array;
  writable: boolean;
  name: string;
}

const TWO32 = 4294967296;
const NO_OPTIONS: RunOptions = {};

/**
 * The reference interpreter: one flat switch on the opcode, registers as (lo, hi) halves.
 * Instructions are unpacked once into typed arrays; jump targets are precomputed.
 */
export class Interpreter implements HelperContext {
  readonly program: DecodedProgram;
  private readonly op: Uint8Array;
  private readonly dst: Uint8Array;
  private readonly src: Uint8Array;
  private readonly off: Int16Array;
  private readonly imm: Int32Array;
  private readonly target: Int32Array;
  private readonly helperFns: Map<number, HelperFunction>;
  private readonly budget: number;
  private readonly bufferChecks: BufferChecks | null;

  // Run state, reused across runs.
  private readonly L = new Int32Array(11);
  private readonly H = new Int32Array(11);
  private readonly stack = new Uint8Array(STACK_BYTES);
  private readonly stackRegion: Region;
  private regions: Region[] = [];
  private last: Region;
  private packet: Region | null = null;
  private pc = 0;
  private stopRequested = false;
  private readonly frames = new Int32Array(MAX_CALL_DEPTH * 10);

  constructor(program: DecodedProgram | Uint8Array, options: InterpreterOptions = {}) {
    const helpers = options.helpers ?? new HelperTable();
    this.program = program instanceof Uint8Array ? decodeProgram(program, { helpers }) : program;
    const { slots, targets } = this.program;
    const n = slots.length;
    this.op = new Uint8Array(n);
    this.dst = new Uint8Array(n);
    this.src = new Uint8Array(n);
    this.off = new Int16Array(n);
    this.imm = new Int32Array(n + 1);
    this.target = new Int32Array(n).fill(-1);
    slots.forEach((s, i) => {
      this.op[i] = this.program.infos[i] ? s.opcode : 0;
      this.dst[i] = s.dst;
      this.src[i] = s.src;
      this.off[i] = s.offset;
      this.imm[i] = s.imm;
    });
    for (const [from, to] of targets) this.target[from] = to;
    this.helperFns = new Map();
    for (const id of helpers.ids()) this.helperFns.set(id, helpers.get(id)!.fn);
    this.budget = options.budget ?? DEFAULT_BUDGET;
    this.bufferChecks = options.bufferChecks?.size ? options.bufferChecks : null;
    this.stackRegion = toRegion({ name: 'stack', address: STACK_ADDRESS, bytes: this.stack, writable: true });
    this.last = this.stackRegion;
  }

  run(options: RunOptions = NO_OPTIONS): RunResult {
    const L = this.L;
    const H = this.H;
    for (let r = 0; r <= 10; r++) { L[r] = 0; H[r] = 0; }
    // Zero only what the last run wrote: most programs touch a few bytes of a 4 KiB stack.
    if (this.stackLow < STACK_BYTES) {
      this.stack.fill(0, this.stackLow);
      this.stackLow = STACK_BYTES;
    }
    if (options.regions !== this.mappedFrom || options.packet !== this.packetFrom) this.map(options.regions, options.packet);
    this.last = this.stackRegion;
    const args = options.args;
    if (args) for (let a = 0; a < args.length; a++) this.setReg(a + 1, args[a]!);
    L[10] = STACK_TOP;
    this.stopRequested = false;
    const budget = options.budget ?? this.budget;
    let steps = 0;
    try {
      steps = this.execute(budget, options.trace);
      return new RunResult(L[0]!, H[0]!, null, steps);
    } catch (err) {
      const fault = err instanceof VmFault ? err : new VmFault(VmErrorCode.HELPER_FAULT, this.pc, `helper failed: ${(err as Error).message}`, { cause: err });
      return new RunResult(L[0]!, H[0]!, fault, budget - this.remaining);
    }
  }

  private remaining = 0;
  /** Lowest stack offset written since the stack was last zeroed. */
  private stackLow = 0;
  private mappedFrom: readonly MemoryRegion[] | undefined;
  private packetFrom: MemoryRegion | undefined;

  /** Regions are converted once and reused while the caller passes the same array. */
  private map(regions: readonly MemoryRegion[] | undefined, packet: MemoryRegion | undefined): void {
    this.mappedFrom = regions;
    this.packetFrom = packet;
    this.regions = [this.stackRegion, ...(regions ?? []).map(toRegion)];
    const packetRegion = packet ?? regions?.[0];
    this.packet = packetRegion ? this.regions.find((r) => r.bytes === packetRegion.bytes) ?? null : null;
  }

  private execute(budget: number, trace: TraceStep[] | undefined): number {
    const { L, H, op: OP, dst: DST, src: SRC, off: OFF, imm: IMM, target: TGT } = this;
    let pc = 0;
    let depth = 0;
    let remaining = budget;
    try {
    for (;;) {
      if (--remaining < 0) {
        throw new VmFault(VmErrorCode.BUDGET_EXHAUSTED, pc, `instruction budget of ${budget} exhausted`);
      }
      const i = pc++;
      if (trace) trace.push(this.traceStep(i));
      const d = DST[i]!;
      const s = SRC[i]!;
      const k = IMM[i]!;
      switch (OP[i]) {
        // 32-bit arithmetic: the result zero-extends (hi = 0).
        case Op.ADD32_IMM: L[d] = L[d]! + k; H[d] = 0; break;
        case Op.ADD32_REG: L[d] = L[d]! + L[s]!; H[d] = 0; break;
        case Op.SUB32_IMM: L[d] = L[d]! - k; H[d] = 0; break;
        case Op.SUB32_REG: L[d] = L[d]! - L[s]!; H[d] = 0; break;
        case Op.MUL32_IMM: L[d] = Math.imul(L[d]!, k); H[d] = 0; break;
        case Op.MUL32_REG: L[d] = Math.imul(L[d]!, L[s]!); H[d] = 0; break;
        case Op.DIV32_IMM: L[d] = OFF[i] ? sdiv32(L[d]!, k) : udiv32(L[d]!, k); H[d] = 0; break;
        case Op.DIV32_REG: L[d] = OFF[i] ? sdiv32(L[d]!, L[s]!) : udiv32(L[d]!, L[s]!); H[d] = 0; break;
        case Op.MOD32_IMM: L[d] = OFF[i] ? smod32(L[d]!, k) : umod32(L[d]!, k); H[d] = 0; break;
        case Op.MOD32_REG: L[d] = OFF[i] ? smod32(L[d]!, L[s]!) : umod32(L[d]!, L[s]!); H[d] = 0; break;
        case Op.OR32_IMM: L[d] = L[d]! | k; H[d] = 0; break;
        case Op.OR32_REG: L[d] = L[d]! | L[s]!; H[d] = 0; break;
        case Op.AND32_IMM: L[d] = L[d]! & k; H[d] = 0; break;
        case Op.AND32_REG: L[d] = L[d]! & L[s]!; H[d] = 0; break;
        case Op.XOR32_IMM: L[d] = L[d]! ^ k; H[d] = 0; break;
        case Op.XOR32_REG: L[d] = L[d]! ^ L[s]!; H[d] = 0; break;
        case Op.LSH32_IMM: L[d] = L[d]! << k; H[d] = 0; break;
        case Op.LSH32_REG: L[d] = L[d]! << L[s]!; H[d] = 0; break;
        case Op.RSH32_IMM: L[d] = L[d]! >>> k; H[d] = 0; break;
        case Op.RSH32_REG: L[d] = L[d]! >>> L[s]!; H[d] = 0; break;
        case Op.ARSH32_IMM: L[d] = L[d]! >> k; H[d] = 0; break;
        case Op.ARSH32_REG: L[d] = L[d]! >> L[s]!; H[d] = 0; break;
        case Op.NEG32: L[d] = -L[d]!; H[d] = 0; break;
        case Op.MOV32_IMM: L[d] = k; H[d] = 0; break;
        case Op.MOV32_REG: {
          const o = OFF[i];
          L[d] = o === 8 ? (L[s]! << 24) >> 24 : o === 16 ? (L[s]! << 16) >> 16 : L[s]!;
          H[d] = 0;
          break;
        }
        case Op.LE:
          if (k === 16) L[d] = L[d]! & 0xffff;
          if (k !== 64) H[d] = 0;
          break;
        case Op.BE:
        case Op.BSWAP:
          if (k === 16) { L[d] = bswap16(L[d]!); H[d] = 0; }
          else if (k === 32) { L[d] = bswap32(L[d]!); H[d] = 0; }
          else { const lo = L[d]!; L[d] = bswap32(H[d]!); H[d] = bswap32(lo); }
          break;

        // 64-bit arithmetic: immediates sign-extend (hi = k >> 31).
        case Op.ADD64_IMM: this.add64(d, k, k >> 31); break;
        case Op.ADD64_REG: this.add64(d, L[s]!, H[s]!); break;
        case Op.SUB64_IMM: this.sub64(d, k, k >> 31); break;
        case Op.SUB64_REG: this.sub64(d, L[s]!, H[s]!); break;
        case Op.MUL64_IMM: mul64(L[d]!, H[d]!, k, k >> 31); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.MUL64_REG: mul64(L[d]!, H[d]!, L[s]!, H[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.DIV64_IMM: (OFF[i] ? sdiv64 : div64)(L[d]!, H[d]!, k, k >> 31); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.DIV64_REG: (OFF[i] ? sdiv64 : div64)(L[d]!, H[d]!, L[s]!, H[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.MOD64_IMM: (OFF[i] ? smod64 : mod64)(L[d]!, H[d]!, k, k >> 31); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.MOD64_REG: (OFF[i] ? smod64 : mod64)(L[d]!, H[d]!, L[s]!, H[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.OR64_IMM: L[d] = L[d]! | k; H[d] = H[d]! | (k >> 31); break;
        case Op.OR64_REG: L[d] = L[d]! | L[s]!; H[d] = H[d]! | H[s]!; break;
        case Op.AND64_IMM: L[d] = L[d]! & k; H[d] = H[d]! & (k >> 31); break;
        case Op.AND64_REG: L[d] = L[d]! & L[s]!; H[d] = H[d]! & H[s]!; break;
        case Op.XOR64_IMM: L[d] = L[d]! ^ k; H[d] = H[d]! ^ (k >> 31); break;
        case Op.XOR64_REG: L[d] = L[d]! ^ L[s]!; H[d] = H[d]! ^ H[s]!; break;
        case Op.LSH64_IMM: lsh64(L[d]!, H[d]!, k); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.LSH64_REG: lsh64(L[d]!, H[d]!, L[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.RSH64_IMM: rsh64(L[d]!, H[d]!, k); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.RSH64_REG: rsh64(L[d]!, H[d]!, L[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.ARSH64_IMM: arsh64(L[d]!, H[d]!, k); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.ARSH64_REG: arsh64(L[d]!, H[d]!, L[s]!); L[d] = out[0]!; H[d] = out[1]!; break;
        case Op.NEG64: this.neg64(d); break;
        case Op.MOV64_IMM: L[d] = k; H[d] = k >> 31; break;
        case Op.MOV64_REG: {
          const o = OFF[i];
          if (o === 0) { L[d] = L[s]!; H[d] = H[s]!; }
          else { const v = o === 8 ? (L[s]! << 24) >> 24 : o === 16 ? (L[s]! << 16) >> 16 : L[s]!; L[d] = v; H[d] = v >> 31; }
          break;
        }
        case Op.LDDW: L[d] = k; H[d] = IMM[i + 1]!; pc++; break;

        // Jumps. 64-bit forms compare with the sign-extended immediate; 32-bit forms use lo only.
        case Op.JA: pc = TGT[i]!; break;
        case Op.JA32: pc = TGT[i]!; break;
        case Op.JEQ_IMM: if (L[d] === k && H[d] === k >> 31) pc = TGT[i]!; break;
        case Op.JEQ_REG: if (L[d] === L[s] && H[d] === H[s]) pc = TGT[i]!; break;
        case Op.JNE_IMM: if (L[d] !== k || H[d] !== k >> 31) pc = TGT[i]!; break;
        case Op.JNE_REG: if (L[d] !== L[s] || H[d] !== H[s]) pc = TGT[i]!; break;
        case Op.JSET_IMM: if ((L[d]! & k) !== 0 || (H[d]! & (k >> 31)) !== 0) pc = TGT[i]!; break;
        case Op.JSET_REG: if ((L[d]! & L[s]!) !== 0 || (H[d]! & H[s]!) !== 0) pc = TGT[i]!; break;
        case Op.JGT_IMM: if (gtU(L[d]!, H[d]!, k, k >> 31)) pc = TGT[i]!; break;
        case Op.JGT_REG: if (gtU(L[d]!, H[d]!, L[s]!, H[s]!)) pc = TGT[i]!; break;
        case Op.JGE_IMM: if (!gtU(k, k >> 31, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JGE_REG: if (!gtU(L[s]!, H[s]!, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JLT_IMM: if (gtU(k, k >> 31, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JLT_REG: if (gtU(L[s]!, H[s]!, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JLE_IMM: if (!gtU(L[d]!, H[d]!, k, k >> 31)) pc = TGT[i]!; break;
        case Op.JLE_REG: if (!gtU(L[d]!, H[d]!, L[s]!, H[s]!)) pc = TGT[i]!; break;
        case Op.JSGT_IMM: if (gtS(L[d]!, H[d]!, k, k >> 31)) pc = TGT[i]!; break;
        case Op.JSGT_REG: if (gtS(L[d]!, H[d]!, L[s]!, H[s]!)) pc = TGT[i]!; break;
        case Op.JSGE_IMM: if (!gtS(k, k >> 31, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JSGE_REG: if (!gtS(L[s]!, H[s]!, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JSLT_IMM: if (gtS(k, k >> 31, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JSLT_REG: if (gtS(L[s]!, H[s]!, L[d]!, H[d]!)) pc = TGT[i]!; break;
        case Op.JSLE_IMM: if (!gtS(L[d]!, H[d]!, k, k >> 31)) pc = TGT[i]!; break;
        case Op.JSLE_REG: if (!gtS(L[d]!, H[d]!, L[s]!, H[s]!)) pc = TGT[i]!; break;
        case Op.JEQ32_IMM: if (L[d] === k) pc = TGT[i]!; break;
        case Op.JEQ32_REG: if (L[d] === L[s]) pc = TGT[i]!; break;
        case Op.JNE32_IMM: if (L[d] !== k) pc = TGT[i]!; break;
        case Op.JNE32_REG: if (L[d] !== L[s]) pc = TGT[i]!; break;
        case Op.JSET32_IMM: if ((L[d]! & k) !== 0) pc = TGT[i]!; break;
        case Op.JSET32_REG: if ((L[d]! & L[s]!) !== 0) pc = TGT[i]!; break;
        case Op.JGT32_IMM: if (L[d]! >>> 0 > k >>> 0) pc = TGT[i]!; break;
        case Op.JGT32_REG: if (L[d]! >>> 0 > L[s]! >>> 0) pc = TGT[i]!; break;
        case Op.JGE32_IMM: if (L[d]! >>> 0 >= k >>> 0) pc = TGT[i]!; break;
        case Op.JGE32_REG: if (L[d]! >>> 0 >= L[s]! >>> 0) pc = TGT[i]!; break;
        case Op.JLT32_IMM: if (L[d]! >>> 0 < k >>> 0) pc = TGT[i]!; break;
        case Op.JLT32_REG: if (L[d]! >>> 0 < L[s]! >>> 0) pc = TGT[i]!; break;
        case Op.JLE32_IMM: if (L[d]! >>> 0 <= k >>> 0) pc = TGT[i]!; break;
        case Op.JLE32_REG: if (L[d]! >>> 0 <= L[s]! >>> 0) pc = TGT[i]!; break;
        case Op.JSGT32_IMM: if (L[d]! > k) pc = TGT[i]!; break;
        case Op.JSGT32_REG: if (L[d]! > L[s]!) pc = TGT[i]!; break;
        case Op.JSGE32_IMM: if (L[d]! >= k) pc = TGT[i]!; break;
        case Op.JSGE32_REG: if (L[d]! >= L[s]!) pc = TGT[i]!; break;
        case Op.JSLT32_IMM: if (L[d]! < k) pc = TGT[i]!; break;
        case Op.JSLT32_REG: if (L[d]! < L[s]!) pc = TGT[i]!; break;
        case Op.JSLE32_IMM: if (L[d]! <= k) pc = TGT[i]!; break;
        case Op.JSLE32_REG: if (L[d]! <= L[s]!) pc = TGT[i]!; break;

        // Memory. Addresses are base + signed 16-bit offset, checked against the regions.
        case Op.LDXB: { const r = this.region(i, s, OFF[i]!, 1, false); L[d] = r.view.getUint8(this.at); H[d] = 0; break; }
        case Op.LDXH: { const r = this.region(i, s, OFF[i]!, 2, false); L[d] = r.view.getUint16(this.at, true); H[d] = 0; break; }
        case Op.LDXW: { const r = this.region(i, s, OFF[i]!, 4, false); L[d] = r.view.getInt32(this.at, true); H[d] = 0; break; }
        case Op.LDXDW: { const r = this.region(i, s, OFF[i]!, 8, false); const at = this.at; L[d] = r.view.getInt32(at, true); H[d] = r.view.getInt32(at + 4, true); break; }
        case Op.LDXSB: { const r = this.region(i, s, OFF[i]!, 1, false); const v = r.view.getInt8(this.at); L[d] = v; H[d] = v >> 31; break; }
        case Op.LDXSH: { const r = this.region(i, s, OFF[i]!, 2, false); const v = r.view.getInt16(this.at, true); L[d] = v; H[d] = v >> 31; break; }
        case Op.LDXSW: { const r = this.region(i, s, OFF[i]!, 4, false); const v = r.view.getInt32(this.at, true); L[d] = v; H[d] = v >> 31; break; }
        case Op.STB: { const r = this.region(i, d, OFF[i]!, 1, true); r.view.setUint8(this.at, k & 0xff); break; }
        case Op.STH: { const r = this.region(i, d, OFF[i]!, 2, true); r.view.setUint16(this.at, k & 0xffff, true); break; }
        case Op.STW: { const r = this.region(i, d, OFF[i]!, 4, true); r.view.setInt32(this.at, k, true); break; }
        case Op.STDW: { const r = this.region(i, d, OFF[i]!, 8, true); const at = this.at; r.view.setInt32(at, k, true); r.view.setInt32(at + 4, k >> 31, true); break; }
        case Op.STXB: { const r = this.region(i, d, OFF[i]!, 1, true); r.view.setUint8(this.at, L[s]! & 0xff); break; }
        case Op.STXH: { const r = this.region(i, d, OFF[i]!, 2, true); r.view.setUint16(this.at, L[s]! & 0xffff, true); break; }
        case Op.STXW: { const r = this.region(i, d, OFF[i]!, 4, true); r.view.setInt32(this.at, L[s]!, true); break; }
        case Op.STXDW: { const r = this.region(i, d, OFF[i]!, 8, true); const at = this.at; r.view.setInt32(at, L[s]!, true); r.view.setInt32(at + 4, H[s]!, true); break; }
        case Op.ATOMIC_W: this.atomic32(i, d, s, k); break;
        case Op.ATOMIC_DW: this.atomic64(i, d, s, k); break;
        case Op.LDABSB: case Op.LDABSH: case Op.LDABSW: case Op.LDABSDW:
        case Op.LDINDB: case Op.LDINDH: case Op.LDINDW: case Op.LDINDDW:
          this.packetLoad(i, OP[i]!, s, k);
          break;

        case Op.CALL:
          if (s === CallKind.LOCAL) {
            if (depth + 1 >= MAX_CALL_DEPTH) throw new VmFault(VmErrorCode.CALL_DEPTH, i, `call depth exceeds ${MAX_CALL_DEPTH} frames`);
            const f = this.frames;
            const base = depth * 10;
            f[base] = pc;
            for (let r = 6; r <= 10; r++) { f[base + (r - 5) * 2 - 1] = L[r]!; f[base + (r - 5) * 2] = H[r]!; }
            depth++;
            L[10] = L[10]! - STACK_FRAME_BYTES;
            pc = TGT[i]!;
          } else {
            this.pc = i;
            this.callHelper(i, k);
            if (this.stopRequested) return budget - remaining;
          }
          break;
        case Op.CALLX: {
          const id = L[d]!;
          if (H[d] !== id >> 31 || !this.helperFns.has(id)) {
            throw new VmFault(VmErrorCode.UNKNOWN_HELPER_AT_RUN, i, `callx to ${toBigU(L[d]!, H[d]!)}, which is not a helper`);
          }
          this.pc = i;
          this.callHelper(i, id);
          if (this.stopRequested) return budget - remaining;
          break;
        }
        case Op.EXIT:
          if (depth === 0) return budget - remaining;
          depth--;
          {
            const f = this.frames;
            const base = depth * 10;
            pc = f[base]!;
            for (let r = 6; r <= 10; r++) { L[r] = f[base + (r - 5) * 2 - 1]!; H[r] = f[base + (r - 5) * 2]!; }
          }
          break;
        default:
          // The decoder admits only table opcodes, so this is a bug in the interpreter.
          throw new Error(`interpreter has no case for opcode 0x${OP[i]!.toString(16)} at ${i}`);
      }
    }
    } finally {
      this.remaining = Math.max(remaining, 0);
    }
  }

  private add64(d: number, blo: number, bhi: number): void {
    const sum = (this.L[d]! >>> 0) + (blo >>> 0);
    this.L[d] = sum;
    this.H[d] = this.H[d]! + bhi + (sum >= TWO32 ? 1 : 0);
  }

  private sub64(d: number, blo: number, bhi: number): void {
    const a = this.L[d]! >>> 0;
    const b = blo >>> 0;
    this.L[d] = a - b;
    this.H[d] = this.H[d]! - bhi - (a < b ? 1 : 0);
  }

  private neg64(d: number): void {
    const lo = this.L[d]!;
    this.L[d] = -lo;
    this.H[d] = ~this.H[d]! + (lo === 0 ? 1 : 0);
  }

  // Address of the last `region` lookup, as an offset into that region.
  private at = 0;

  /** The region holding [base + offset, +size); sets `this.at`. Faults when unmapped or read-only. */
  private region(i: number, base: number, offset: number, size: number, write: boolean): Region {
    let address = (this.L[base]! >>> 0) + offset;
    let hi = this.H[base]!;
    if (address < 0) { address += TWO32; hi--; }
    else if (address >= TWO32) { address -= TWO32; hi++; }
    return this.lookup(i, address, hi, size, write);
  }

  private lookup(i: number, address: number, hi: number, size: number, write: boolean): Region {
    let r = this.last;
    if (hi !== 0 || address < r.start || address + size > r.end || (write && !r.writable)) {
      r = this.find(i, address, hi, size, write);
    }
    const at = address - r.start;
    if (write && r === this.stackRegion && at < this.stackLow) this.stackLow = at;
    this.at = at;
    return r;
  }

  private find(i: number, address: number, hi: number, size: number, write: boolean): Region {
    if (hi === 0) {
      for (const r of this.regions) {
        if (address >= r.start && address + size <= r.end) {
          if (write && !r.writable) {
            throw new VmFault(VmErrorCode.MEMORY_ACCESS, i, `write of ${size} bytes to read-only ${r.name} at 0x${address.toString(16)}`, { address: BigInt(address), size });
          }
          this.last = r;
          return r;
        }
      }
    }
    const full = (BigInt(hi >>> 0) << 32n) | BigInt(address);
    throw new VmFault(VmErrorCode.MEMORY_ACCESS, i, `${write ? 'write' : 'read'} of ${size} bytes at 0x${full.toString(16)} is outside every mapped region`, { address: full, size });
  }

  private atomic32(i: number, d: number, s: number, k: number): void {
    const r = this.region(i, d, this.off[i]!, 4, true);
    const at = this.at;
    const old = r.view.getInt32(at, true);
    const { L, H } = this;
    const v = L[s]!;
    switch (k) {
      case AtomicOp.ADD: case AtomicOp.ADD | AtomicOp.FETCH: r.view.setInt32(at, (old + v) | 0, true); break;
      case AtomicOp.OR: case AtomicOp.OR | AtomicOp.FETCH: r.view.setInt32(at, old | v, true); break;
      case AtomicOp.AND: case AtomicOp.AND | AtomicOp.FETCH: r.view.setInt32(at, old & v, true); break;
      case AtomicOp.XOR: case AtomicOp.XOR | AtomicOp.FETCH: r.view.setInt32(at, old ^ v, true); break;
      case AtomicOp.XCHG: r.view.setInt32(at, v, true); break;
      case AtomicOp.CMPXCHG:
        if (old === L[0]) r.view.setInt32(at, v, true);
        L[0] = old;
        H[0] = 0;
        return;
    }
    if (k & AtomicOp.FETCH) { L[s] = old; H[s] = 0; }
  }

  private atomic64(i: number, d: number, s: number, k: number): void {
    const r = this.region(i, d, this.off[i]!, 8, true);
    const at = this.at;
    const { L, H } = this;
    const oldLo = r.view.getInt32(at, true);
    const oldHi = r.view.getInt32(at + 4, true);
    const vLo = L[s]!;
    const vHi = H[s]!;
    let lo = oldLo;
    let hi = oldHi;
    switch (k) {
      case AtomicOp.ADD: case AtomicOp.ADD | AtomicOp.FETCH: {
        const sum = (oldLo >>> 0) + (vLo >>> 0);
        lo = sum | 0;
        hi = (oldHi + vHi + (sum >= TWO32 ? 1 : 0)) | 0;
        break;
      }
      case AtomicOp.OR: case AtomicOp.OR | AtomicOp.FETCH: lo = oldLo | vLo; hi = oldHi | vHi; break;
      case AtomicOp.AND: case AtomicOp.AND | AtomicOp.FETCH: lo = oldLo & vLo; hi = oldHi & vHi; break;
      case AtomicOp.XOR: case AtomicOp.XOR | AtomicOp.FETCH: lo = oldLo ^ vLo; hi = oldHi ^ vHi; break;
      case AtomicOp.XCHG: lo = vLo; hi = vHi; break;
      case AtomicOp.CMPXCHG:
        if (oldLo === L[0] && oldHi === H[0]) { r.view.setInt32(at, vLo, true); r.view.setInt32(at + 4, vHi, true); }
        L[0] = oldLo;
        H[0] = oldHi;
        return;
    }
    r.view.setInt32(at, lo, true);
    r.view.setInt32(at + 4, hi, true);
    if (k & AtomicOp.FETCH) { L[s] = oldLo; H[s] = oldHi; }
  }

  /** Legacy `ldabs`/`ldind`: r0 = the packet's bytes at the offset, in network byte order. */
  private packetLoad(i: number, opcode: number, s: number, k: number): void {
    const packet = this.packet;
    const width = opcode & 0x18;
    const size = width === 0x10 ? 1 : width === 0x08 ? 2 : width === 0x00 ? 4 : 8;
    const { L, H } = this;
    let offset = k;
    if (modeOf(opcode) === Mode.IND) offset = Number(BigInt.asIntN(64, toBigU(L[s]!, H[s]!) + BigInt(k)));
    if (!packet || offset < 0 || offset + size > packet.bytes.length) {
      throw new VmFault(VmErrorCode.MEMORY_ACCESS, i, `packet load of ${size} bytes at offset ${offset} is outside the packet (${packet?.bytes.length ?? 0} bytes)`, { size });
    }
    const view = packet.view;
    if (size === 1) { L[0] = view.getUint8(offset); H[0] = 0; }
    else if (size === 2) { L[0] = view.getUint16(offset); H[0] = 0; }
    else if (size === 4) { L[0] = view.getInt32(offset); H[0] = 0; }
    else { H[0] = view.getInt32(offset); L[0] = view.getInt32(offset + 4); }
  }

  private callHelper(i: number, id: number): void {
    const fn = this.helperFns.get(id);
    if (!fn) throw new VmFault(VmErrorCode.UNKNOWN_HELPER_AT_RUN, i, `call to unknown helper ${id}`);
    const checks = this.bufferChecks?.get(i);
    if (checks) checkBuffers(this, i, checks);
    let result: number | bigint;
    try {
      result = fn(this);
    } catch (err) {
      if (err instanceof VmFault) throw err;
      throw new VmFault(VmErrorCode.HELPER_FAULT, i, `helper ${id} failed: ${(err as Error).message}`, { cause: err });
    }
    this.setReg(0, result);
  }

  private setReg(r: number, value: number | bigint): void {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= -2147483648 && value < 4294967296) {
      this.L[r] = value;
      this.H[r] = value < 0 ? -1 : 0;
      return;
    }
    const big = BigInt.asUintN(64, BigInt(value));
    this.L[r] = Number(big & 0xffffffffn);
    this.H[r] = Number(big >> 32n);
  }

  private traceStep(i: number): TraceStep {
    const info = this.program.infos[i]!;
    return {
      index: i,
      text: formatInstruction(info, this.program.slots[i]!, this.program.slots[i + 1]),
      registers: Array.from({ length: 11 }, (_, r) => toBigU(this.L[r]!, this.H[r]!)),
    };
  }

  // HelperContext: what a helper sees of this run.
  argU64(n: number): bigint {
    return toBigU(this.L[n]!, this.H[n]!);
  }

  argNumber(n: number): number {
    const hi = this.H[n]! >>> 0;
    if (hi >= 0x200000) this.fault(`argument ${n} (${this.argU64(n)}) is too large`);
    return hi * TWO32 + (this.L[n]! >>> 0);
  }

  argU32(n: number): number {
    return this.L[n]! >>> 0;
  }

  read(address: number, length: number): Uint8Array {
    return this.view(address, length, false);
  }

  write(address: number, length: number): Uint8Array {
    return this.view(address, length, true);
  }

  private view(address: number, length: number, write: boolean): Uint8Array {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || length < 0) this.fault(`bad buffer ${address}+${length}`);
    if (length === 0) return new Uint8Array(0);
    const hi = Math.floor(address / TWO32);
    const r = this.lookup(this.pc, address % TWO32, hi, length, write);
    return r.bytes.subarray(this.at, this.at + length);
  }

  stop(): void {
    this.stopRequested = true;
  }

  fault(reason: string): never {
    throw new VmFault(VmErrorCode.HELPER_FAULT, this.pc, reason);
  }
}

function toRegion(region: MemoryRegion): Region {
  const { bytes } = region;
  return {
    start: region.address,
    end: region.address + bytes.length,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.length),
    bytes,
    writable: region.writable,
    name: region.name,
  };
}

const udiv32 = (a: number, b: number): number => (b === 0 ? 0 : ((a >>> 0) / (b >>> 0)) | 0);
const umod32 = (a: number, b: number): number => (b === 0 ? a : (a >>> 0) % (b >>> 0));
const sdiv32 = (a: number, b: number): number => (b === 0 ? 0 : (a / b) | 0);
const smod32 = (a: number, b: number): number => (b === 0 ? a : a % b | 0);
