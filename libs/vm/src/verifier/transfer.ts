import { AluOp, AtomicOp, CallKind, Class, JmpOp, Source, classOf, opOf, sourceOf } from '../isa/opcodes.js';
import { STACK_FRAME_BYTES } from '../memory.js';
import { callxTarget, contextField, memoryArguments } from './check.js';
import type { VerifierContext } from './context.js';
import { aluScalar, endScalar, loadedScalar } from './domains/alu.js';
import * as S from './domains/scalar.js';
import { symbolic } from './domains/relations.js';
import { StackFrame } from './domains/stack.js';
import { State } from './domains/state.js';
import {
  DATA_ID, MIXED, NO_ID, UNINIT, UNKNOWN_SCALAR, exact, isPointer, offsetRange, regionPointer, scalar, shift, type Range, type Value,
} from './domains/value.js';

/*
 * What each instruction does to the state (PREVAIL's transformer). Runs after `check.ts` has
 * accepted the instruction, so it may rely on its requirements (initialised operands, valid
 * pointers). Conditional jumps refine the state separately for each branch.
 */

const SCALAR32: Value = scalar(S.TOP32);

export function transfer(ctx: VerifierContext, state: State, slot: number): void {
  const info = ctx.program.infos[slot]!;
  const inst = ctx.program.slots[slot]!;
  const regs = state.regs;
  switch (info.kind) {
    case 'alu': {
      const src = sourceOf(inst.opcode) === Source.X ? regs[inst.src]! : scalar(S.constant(BigInt(inst.imm)));
      if (isScalarCopy(opOf(inst.opcode), src, info.is64, inst.offset)) {
        regs[inst.dst] = regs[inst.src] = copyId(state, slot, src as Extract<Value, { t: 'scalar' }>);
        return;
      }
      regs[inst.dst] = aluValue(ctx, state, slot, opOf(inst.opcode), regs[inst.dst]!, src, info.is64, inst.offset);
      return;
    }
    case 'neg': {
      const v = regs[inst.dst]!;
      regs[inst.dst] = v.t === 'scalar' ? scalar(aluScalar(AluOp.NEG, v.v, v.v, info.is64, 0)) : info.is64 ? UNKNOWN_SCALAR : SCALAR32;
      return;
    }
    case 'end': {
      const v = regs[inst.dst]!;
      const swap = sourceOf(inst.opcode) === Source.X || classOf(inst.opcode) === Class.ALU64;
      regs[inst.dst] = v.t === 'scalar' ? scalar(endScalar(v.v, inst.imm, swap)) : scalar(S.unsignedBits(inst.imm));
      return;
    }
    case 'lddw':
      regs[inst.dst] = lddwValue(ctx, inst.imm, ctx.program.slots[slot + 1]!.imm);
      return;
    case 'ld-abs':
    case 'ld-ind':
      regs[0] = scalar(loadedScalar(info.width, false));
      return;
    case 'ldx':
      regs[inst.dst] = loadValue(ctx, state, regs[inst.src]!, inst.offset, info.width, inst.opcode);
      return;
    case 'st':
      store(state, regs[inst.dst]!, inst.offset, info.width, scalar(S.constant(BigInt(inst.imm))));
      return;
    case 'stx':
      store(state, regs[inst.dst]!, inst.offset, info.width, regs[inst.src]!);
      return;
    case 'atomic': {
      store(state, regs[inst.dst]!, inst.offset, info.width, scalar(loadedScalar(info.width, false)));
      const old = scalar(loadedScalar(info.width, false));
      if (inst.imm === AtomicOp.CMPXCHG) regs[0] = old;
      else if (inst.imm & AtomicOp.FETCH) regs[inst.src] = old;
      return;
    }
    case 'call':
      // A local call's effect (a new frame) is the walk's business: see enterCall/returnFromCall.
      if (inst.src !== CallKind.LOCAL) callHelper(ctx, state, slot, inst.imm);
      return;
    case 'callx':
      callHelper(ctx, state, slot, callxTarget(regs[inst.dst]!)!);
      return;
    case 'jcond':
    case 'ja':
    case 'ja32':
    case 'exit':
      return;
  }
}

/** `mov` of a scalar that keeps its value (64-bit, or 32-bit of a value that fits): a copy. */
function isScalarCopy(op: number, src: Value, is64: boolean, offset: number): boolean {
  return op === AluOp.MOV && offset === 0 && src.t === 'scalar' && !S.isConstant(src.v) && (is64 || src.v.umax <= S.U32_MAX);
}

/** The copied value, with an id shared by source and copy (a new one unless it already has one). */
function copyId(state: State, slot: number, v: Extract<Value, { t: 'scalar' }>): Value {
  if (v.id !== undefined) return v;
  retireId(state, slot + 1);
  return { t: 'scalar', v: v.v, id: slot + 1 };
}

function aluValue(ctx: VerifierContext, state: State, slot: number, op: number, dst: Value, src: Value, is64: boolean, offset: number): Value {
  if (op === AluOp.MOV && is64 && offset === 0) return src;
  if (op === AluOp.MOV) return src.t === 'scalar' ? scalar(aluScalar(op, src.v, src.v, is64, offset)) : is64 ? UNKNOWN_SCALAR : SCALAR32;
  if (dst.t === 'scalar' && src.t === 'scalar') return scalar(aluScalar(op, dst.v, src.v, is64, offset));
  if (is64 && op === AluOp.ADD && isPointer(dst) && src.t === 'scalar') return movePointer(state, slot, dst, offsetRange(src.v));
  if (is64 && op === AluOp.ADD && isPointer(src) && dst.t === 'scalar') return movePointer(state, slot, src, offsetRange(dst.v));
  if (is64 && op === AluOp.SUB && isPointer(dst) && src.t === 'scalar') {
    const d = offsetRange(src.v);
    return movePointer(state, slot, dst, { lo: -d.hi, hi: -d.lo });
  }
  if (is64 && op === AluOp.SUB) {
    const d = pointerDistance(ctx, state, dst, src);
    if (d) return scalar(S.fromSigned(BigInt(d.lo), d.hi === Infinity ? S.S64_MAX : BigInt(d.hi)));
  }
  // Anything else turns a pointer into a number the verifier knows nothing about.
  return is64 ? UNKNOWN_SCALAR : SCALAR32;
}

/**
 * The distance `a - b` between two pointers into one object, or null when it is not one. What
 * a comparison proved about their bases (`relations`, and for the packet end `proven`) narrows
 * what their offset ranges alone allow: `end - p` after `p < end` is at least 1.
 */
function pointerDistance(ctx: VerifierContext, state: State, a: Value, b: Value): Range | null {
  if (a.t === 'packet-end' && b.t === 'packet' && a.region === b.region) {
    const lo = Math.max(
      b.id === NO_ID ? -Infinity : state.provenBytes(b.id) - b.fix,
      Number.isFinite(b.off.hi) ? state.provenBytes(DATA_ID) - b.off.hi : -Infinity,
    );
    const size = ctx.regions.get(a.region)?.size;
    return Number.isFinite(lo) ? { lo, hi: size === undefined ? Infinity : size - b.off.lo } : null;
  }
  if (!isPointer(a) || !isPointer(b) || a.t !== b.t || !sameObject(a, b)) return null;
  let lo = a.off.lo - b.off.hi;
  let hi = a.off.hi - b.off.lo;
  if ((a.t === 'packet' || a.t === 'region') && (b.t === 'packet' || b.t === 'region')) {
    const sa = symbolic(a);
    const sb = symbolic(b);
    const bases = sa && sb ? state.relations.get(sb.id, sa.id) : null;
    if (bases) {
      lo = Math.max(lo, bases.lo + sa!.fix - sb!.fix);
      hi = Math.min(hi, bases.hi + sa!.fix - sb!.fix);
    }
  }
  return Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi ? { lo, hi } : null;
}

function sameObject(a: Value, b: Value): boolean {
  if (a.t === 'stack' && b.t === 'stack') return a.frame === b.frame;
  if ((a.t === 'region' && b.t === 'region') || (a.t === 'packet' && b.t === 'packet')) return a.region === b.region;
  if (a.t === 'map-value' && b.t === 'map-value') return a.map === b.map;
  return false;
}

/** A pointer plus a delta; a variable delta gives a packet pointer a new base (id). */
function movePointer(state: State, slot: number, p: Extract<Value, { off: Range }>, d: Range): Value {
  const off = shift(p.off, d);
  switch (p.t) {
    case 'packet':
    case 'region': {
      if (d.lo === d.hi) return { ...p, off, fix: p.id === NO_ID ? 0 : p.fix + d.lo };
      const id = slot + 1;
      retireId(state, id);
      return { ...p, off, id, fix: 0 };
    }
    case 'map-value-or-null':
      return MIXED;
    default:
      return { ...p, off };
  }
}

/** A base id is about to be reused for a new value: older values with it keep only their ranges. */
function retireId(state: State, id: number): void {
  state.proven.delete(id);
  state.relations.drop(id);
  state.mapValues((v) => {
    if ((v.t === 'packet' || v.t === 'region') && v.id === id) return { ...v, id: NO_ID, fix: 0 };
    if (v.t === 'map-value-or-null' && v.id === id) return { ...v, id: NO_ID };
    if (v.t === 'scalar' && v.id === id) return scalar(v.v);
    return v;
  });
}

function lddwValue(ctx: VerifierContext, lo: number, hi: number): Value {
  const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  if (value < 1n << 53n) {
    const n = Number(value);
    const map = ctx.mapsByHandle.get(n);
    if (map !== undefined) return { t: 'map', map };
    for (const region of ctx.platform.regions) {
      if (n >= region.address && n <= region.address + region.size) return regionPointer(region.name, n - region.address);
    }
  }
  return scalar(S.constant(value));
}

function loadValue(ctx: VerifierContext, state: State, ptr: Value, offset: number, width: number, opcode: number): Value {
  const signExtend = (opcode & 0xe0) === 0x80;
  if (ptr.t === 'ctx') {
    const field = contextField(ctx.platform.context.fields, ptr.off.lo + offset, width)!;
    const region = field.region ?? 'packet';
    switch (field.kind) {
      case 'packet': return { t: 'packet', region, off: exact(0), id: DATA_ID, fix: 0 };
      case 'packet-end': return { t: 'packet-end', region };
      case 'region': return regionPointer(region, 0);
      case 'region-end': return regionPointer(region, ctx.regions.get(region)!.size);
      case 'scalar': return scalar(loadedScalar(width, signExtend));
    }
  }
  if (ptr.t === 'stack' && width === 8 && ptr.off.lo === ptr.off.hi) {
    const at = ptr.off.lo + offset;
    if (at % 8 === 0) {
      const spilled = state.frames[ptr.frame]!.filled(at);
      if (spilled) return spilled;
    }
  }
  return scalar(loadedScalar(width, signExtend));
}

/** A store through `ptr`: only the stack is tracked (spills keep a whole register's value). */
function store(state: State, ptr: Value, offset: number, width: number, value: Value): void {
  if (ptr.t !== 'stack') return;
  const frame = state.frames[ptr.frame]!;
  if (ptr.off.lo === ptr.off.hi) {
    const at = ptr.off.lo + offset;
    if (width === 8 && at % 8 === 0) frame.spill(at, value);
    else frame.writeBytes(at, at + width);
    return;
  }
  frame.forget(clampToFrame(ptr.off.lo + offset), clampToFrame(ptr.off.hi + offset + width));
}

const clampToFrame = (o: number): number => Math.max(-STACK_FRAME_BYTES, Math.min(0, o));

function callHelper(ctx: VerifierContext, state: State, slot: number, id: number): void {
  const proto = ctx.platform.helpers.get(id)!;
  ctx.helpersUsed.add(id);
  for (const arg of memoryArguments(ctx, state, proto)) {
    if (!arg.write || arg.pointer.t !== 'stack') continue;
    const frame = state.frames[arg.pointer.frame]!;
    const { lo, hi } = arg.pointer.off;
    frame.forget(clampToFrame(lo), clampToFrame(hi + arg.size.max));
    if (lo === hi && arg.size.min > 0) frame.writeBytes(lo, lo + arg.size.min);
  }
  // An unchecked ('any') argument may be a buffer the helper fills (PFP's get_src_ip_status):
  // registers spilled at or above it in its frame can no longer be trusted.
  proto.args.forEach((kind, k) => {
    const v = state.regs[k + 1]!;
    if (kind === 'any' && v.t === 'stack') state.frames[v.frame]!.forget(clampToFrame(v.off.lo), 0);
  });
  let r0: Value = UNKNOWN_SCALAR;
  if (proto.returns === 'map-value-or-null') {
    const mapArg = proto.args.indexOf('map');
    const map = mapArg >= 0 ? state.regs[mapArg + 1] : undefined;
    if (map?.t === 'map') {
      retireId(state, slot + 1);
      r0 = { t: 'map-value-or-null', map: map.map, off: exact(0), id: slot + 1 };
    }
  }
  state.regs[0] = r0;
  for (let r = 1; r <= 5; r++) state.regs[r] = UNINIT;
}

/** The callee's entry state: arguments r1–r5, a fresh frame, the caller's r6–r9 saved. */
export function enterCall(state: State, slot: number): State {
  const regs: Value[] = new Array(11).fill(UNINIT);
  for (let r = 1; r <= 5; r++) regs[r] = state.regs[r]!;
  regs[10] = { t: 'stack', frame: state.frames.length, off: exact(0) };
  const frames = [...state.frames.map((f) => f.clone()), new StackFrame(undefined, undefined, state.regs.slice(6, 10), slot)];
  return new State(regs, frames, new Map(state.proven), state.relations.clone());
}

/** The caller's state after the callee's exit: r0 returned, r1–r5 clobbered, r6–r10 restored. */
export function returnFromCall(state: State): State {
  const callee = state.frames[state.frames.length - 1]!;
  const frames = state.frames.slice(0, -1).map((f) => f.clone());
  const regs: Value[] = new Array(11).fill(UNINIT);
  regs[0] = state.regs[0]!;
  callee.callerRegs!.forEach((v, i) => { regs[6 + i] = v; });
  regs[10] = { t: 'stack', frame: frames.length - 1, off: exact(0) };
  const next = new State(regs, frames, new Map(state.proven), state.relations.clone());
  // Pointers into the callee's frame dangle once it returns.
  next.mapValues((v) => (v.t === 'stack' && v.frame >= frames.length ? UNKNOWN_SCALAR : v));
  return next;
}

const NEGATE: Record<number, number> = {
  [JmpOp.JEQ]: JmpOp.JNE, [JmpOp.JNE]: JmpOp.JEQ, [JmpOp.JGT]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGT,
  [JmpOp.JGE]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGE, [JmpOp.JSGT]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGT,
  [JmpOp.JSGE]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGE,
};
/** The comparison seen from the other operand: a > b is b < a. */
const MIRROR: Record<number, number> = {
  [JmpOp.JEQ]: JmpOp.JEQ, [JmpOp.JNE]: JmpOp.JNE, [JmpOp.JGT]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGT,
  [JmpOp.JGE]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGE, [JmpOp.JSGT]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGT,
  [JmpOp.JSGE]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGE,
};
const JSET_NOT = -1;

/**
 * The state on one branch of a conditional jump, or null when that branch cannot be taken.
 * Refines scalars against constants and registers, proves packet ranges from comparisons with
 * the packet end, and resolves map-value-or-null against 0.
 */
export function refineBranch(ctx: VerifierContext, state: State, slot: number, taken: boolean): State | null {
  const info = ctx.program.infos[slot]!;
  const inst = ctx.program.slots[slot]!;
  const baseOp = opOf(inst.opcode);
  const op = taken ? baseOp : baseOp === JmpOp.JSET ? JSET_NOT : NEGATE[baseOp]!;
  const isReg = sourceOf(inst.opcode) === Source.X;
  const a = state.regs[inst.dst]!;
  const b = isReg ? state.regs[inst.src]! : null;

  if (info.is64) {
    const pointerResult = refinePointers(state, op, a, b ?? scalar(S.constant(BigInt(inst.imm))));
    if (pointerResult !== undefined) return pointerResult;
    if (b && (a.t === 'packet' || a.t === 'region') && b.t === a.t && a.region === b.region) {
      return refineOffsets(state, op, inst.dst, inst.src);
    }
  }
  if (a.t !== 'scalar' || (b && b.t !== 'scalar')) return state;

  const signed = op === JmpOp.JSGT || op === JmpOp.JSGE || op === JmpOp.JSLT || op === JmpOp.JSLE;
  const view = (x: S.Scalar): { value: S.Scalar; faithful: boolean } => {
    if (info.is64) return { value: x, faithful: true };
    const limit = signed ? S.S32_MAX : S.U32_MAX;
    if (x.umax <= limit) return { value: x, faithful: true };
    if (S.isConstant(x)) {
      const low = x.umin & S.U32_MAX;
      return { value: S.constant(signed ? BigInt.asIntN(32, low) : low), faithful: false };
    }
    return { value: signed ? S.signedBits(32) : S.TOP32, faithful: false };
  };
  const av = view(a.v);
  const bv = b && b.t === 'scalar'
    ? view(b.v)
    : { value: S.constant(info.is64 || signed ? BigInt(inst.imm) : BigInt(inst.imm >>> 0)), faithful: false };
  const refined = refineScalars(op, av.value, bv.value);
  if (!refined) return null;
  if (av.faithful) setScalar(state, inst.dst, refined[0]);
  if (isReg && bv.faithful) setScalar(state, inst.src, refined[1]);
  return state;
}

/** A register's refined range, applied to every copy of it (same id) as well. */
function setScalar(state: State, reg: number, v: S.Scalar): void {
  const old = state.regs[reg] as Extract<Value, { t: 'scalar' }>;
  if (old.id === undefined) {
    state.regs[reg] = scalar(v);
    return;
  }
  const id = old.id;
  state.mapValues((x) => (x.t === 'scalar' && x.id === id ? { t: 'scalar', v: S.intersect(x.v, v) ?? x.v, id } : x));
}

/** undefined: not a pointer comparison the verifier learns from. */
function refinePointers(state: State, op: number, a: Value, b: Value): State | null | undefined {
  if (a.t === 'packet' && b.t === 'packet-end' && a.region === b.region) return provePacket(state, op, a);
  if (b.t === 'packet' && a.t === 'packet-end' && a.region === b.region) return provePacket(state, MIRROR[op] ?? op, b);
  const isZero = (v: Value) => v.t === 'scalar' && S.isConstant(v.v) && v.v.umin === 0n;
  if (a.t === 'map-value-or-null' && isZero(b)) return resolveNull(state, a, op);
  if (b.t === 'map-value-or-null' && isZero(a)) return resolveNull(state, b, op);
  return undefined;
}

type Tracked = Extract<Value, { t: 'packet' | 'region' }>;

/**
 * Two pointers into one object compared: each offset range narrows to where `a OP b` holds
 * (a < end bounds a by end's largest offset), and so do the copies sharing each one's base.
 */
function refineOffsets(state: State, op: number, dst: number, src: number): State | null {
  const a = state.regs[dst] as Tracked;
  const b = state.regs[src] as Tracked;
  let aRange = a.off;
  let bRange = b.off;
  const below = (x: Range, y: Range, strict: number): [Range, Range] => [
    { lo: x.lo, hi: Math.min(x.hi, y.hi - strict) },
    { lo: Math.max(y.lo, x.lo + strict), hi: y.hi },
  ];
  switch (op) {
    case JmpOp.JLT: case JmpOp.JSLT: [aRange, bRange] = below(aRange, bRange, 1); break;
    case JmpOp.JLE: case JmpOp.JSLE: [aRange, bRange] = below(aRange, bRange, 0); break;
    case JmpOp.JGT: case JmpOp.JSGT: [bRange, aRange] = below(bRange, aRange, 1); break;
    case JmpOp.JGE: case JmpOp.JSGE: [bRange, aRange] = below(bRange, aRange, 0); break;
    case JmpOp.JEQ: {
      const both = { lo: Math.max(aRange.lo, bRange.lo), hi: Math.min(aRange.hi, bRange.hi) };
      aRange = both;
      bRange = both;
      break;
    }
    default:
      return state;
  }
  if (aRange.lo > aRange.hi || bRange.lo > bRange.hi) return null;
  const sa = symbolic(a);
  const sb = symbolic(b);
  const bases = sa && sb && sa.id !== sb.id && sa.id !== DATA_ID && sb.id !== DATA_ID ? baseDifference(op, sa.fix - sb.fix) : null;
  if (bases && !state.relations.add(sa!.id, sb!.id, bases)) return null;
  narrow(state, dst, a, aRange);
  narrow(state, src, state.regs[src] as Tracked, bRange);
  return state;
}

/** `base(b) - base(a)` where `base(a) + fix(a) OP base(b) + fix(b)` holds, given fix(a) - fix(b). */
function baseDifference(op: number, fixes: number): Range | null {
  switch (op) {
    case JmpOp.JLT: case JmpOp.JSLT: return { lo: fixes + 1, hi: Infinity };
    case JmpOp.JLE: case JmpOp.JSLE: return { lo: fixes, hi: Infinity };
    case JmpOp.JGT: case JmpOp.JSGT: return { lo: -Infinity, hi: fixes - 1 };
    case JmpOp.JGE: case JmpOp.JSGE: return { lo: -Infinity, hi: fixes };
    case JmpOp.JEQ: return { lo: fixes, hi: fixes };
    default: return null;
  }
}

/** Sets register `reg`'s offset range, and narrows every value with the same base to match. */
function narrow(state: State, reg: number, v: Tracked, off: Range): void {
  if (v.id === NO_ID) {
    state.regs[reg] = { ...v, off };
    return;
  }
  const base = { lo: off.lo - v.fix, hi: off.hi - v.fix };
  state.mapValues((x) => {
    if (x.t !== v.t || x.id !== v.id || x.region !== v.region) return x;
    const own = x.off;
    return { ...x, off: { lo: Math.max(own.lo, base.lo + x.fix), hi: Math.min(own.hi, base.hi + x.fix) } };
  });
}

/** On the branch where `p OP packet_end` holds. */
function provePacket(state: State, op: number, p: Extract<Value, { t: 'packet' }>): State {
  // p <= end proves the bytes before p; p < end proves one more.
  const extra = op === JmpOp.JLE || op === JmpOp.JEQ || op === JmpOp.JSLE ? 0 : op === JmpOp.JLT || op === JmpOp.JSLT ? 1 : null;
  if (extra === null) return state;
  if (p.id !== NO_ID) state.prove(p.id, p.fix + extra);
  if (Number.isFinite(p.off.lo)) state.prove(DATA_ID, p.off.lo + extra);
  return state;
}

function resolveNull(state: State, v: Extract<Value, { t: 'map-value-or-null' }>, op: number): State | null {
  if (op !== JmpOp.JEQ && op !== JmpOp.JNE) return state;
  const isNull = op === JmpOp.JEQ;
  const same = (x: Value) => x.t === 'map-value-or-null' && (x === v || (x.id !== NO_ID && x.id === v.id));
  state.mapValues((x) => {
    if (!same(x)) return x;
    const y = x as typeof v;
    return isNull ? scalar(S.constant(0n)) : { t: 'map-value', map: y.map, off: y.off };
  });
  return state;
}

/** Both operands narrowed to where `a OP b` holds, or null when it never does. */
export function refineScalars(op: number, a: S.Scalar, b: S.Scalar): [S.Scalar, S.Scalar] | null {
  const U = (lo: bigint, hi: bigint): S.Scalar | null => (lo > hi ? null : { umin: lo, umax: hi, smin: S.S64_MIN, smax: S.S64_MAX });
  const Sg = (lo: bigint, hi: bigint): S.Scalar | null => (lo > hi ? null : { umin: 0n, umax: S.U64_MAX, smin: lo, smax: hi });
  const both = (x: S.Scalar | null, y: S.Scalar | null): [S.Scalar, S.Scalar] | null => {
    if (!x || !y) return null;
    const na = S.intersect(a, x);
    const nb = S.intersect(b, y);
    return na && nb ? [na, nb] : null;
  };
  const ANY: S.Scalar = S.TOP;
  switch (op) {
    case JmpOp.JEQ: {
      const m = S.intersect(a, b);
      return m ? [m, m] : null;
    }
    case JmpOp.JNE: {
      if (S.isConstant(a) && S.isConstant(b)) return a.umin === b.umin ? null : [a, b];
      if (S.isConstant(b)) return both(excludeEdge(a, b.umin), ANY);
      if (S.isConstant(a)) return both(ANY, excludeEdge(b, a.umin));
      return [a, b];
    }
    case JmpOp.JGT: return both(U(b.umin + 1n, S.U64_MAX), U(0n, a.umax - 1n));
    case JmpOp.JGE: return both(U(b.umin, S.U64_MAX), U(0n, a.umax));
    case JmpOp.JLT: return both(U(0n, b.umax - 1n), U(a.umin + 1n, S.U64_MAX));
    case JmpOp.JLE: return both(U(0n, b.umax), U(a.umin, S.U64_MAX));
    case JmpOp.JSGT: return both(Sg(b.smin + 1n, S.S64_MAX), Sg(S.S64_MIN, a.smax - 1n));
    case JmpOp.JSGE: return both(Sg(b.smin, S.S64_MAX), Sg(S.S64_MIN, a.smax));
    case JmpOp.JSLT: return both(Sg(S.S64_MIN, b.smax - 1n), Sg(a.smin + 1n, S.S64_MAX));
    case JmpOp.JSLE: return both(Sg(S.S64_MIN, b.smax), Sg(a.smin, S.S64_MAX));
    case JmpOp.JSET:
      if (S.isConstant(a) && S.isConstant(b)) return (a.umin & b.umin) !== 0n ? [a, b] : null;
      if (S.isConstant(b) && b.umin === 0n) return null;
      return both(U(1n, S.U64_MAX), U(1n, S.U64_MAX));
    case JSET_NOT:
      if (S.isConstant(a) && S.isConstant(b)) return (a.umin & b.umin) === 0n ? [a, b] : null;
      return [a, b];
    default:
      return [a, b];
  }
}

/** A range without the value `v` when `v` is one of its ends (i != n at the end of a loop). */
function excludeEdge(x: S.Scalar, v: bigint): S.Scalar | null {
  if (x.umin === v) return x.umin === x.umax ? null : S.tighten({ ...x, umin: v + 1n });
  if (x.umax === v) return S.tighten({ ...x, umax: v - 1n });
  return x;
}
