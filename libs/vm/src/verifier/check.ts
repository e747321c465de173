import { VmErrorCode } from '../errors.js';
import { MAX_CALL_DEPTH, STACK_FRAME_BYTES } from '../memory.js';
import type { ContextField, HelperPrototype } from '../platform/types.js';
import type { Assertion } from './assertions.js';
import type { VerifierContext } from './context.js';
import { isConstant, type Scalar } from './domains/scalar.js';
import type { State } from './domains/state.js';
import { DATA_ID, describeValue, exact, formatRange, shift, type PointerValue, type Range, type Value } from './domains/value.js';

/*
 * Whether an instruction's requirements hold in a state (PREVAIL's checker). A requirement that
 * can never hold is an error naming the instruction; a memory access that may hold but cannot be
 * proven is recorded in `runtimeChecks` for the engines to check.
 */

const FRAME_POINTER = 10;
/** Largest size a helper's length argument may have before it counts as unbounded. */
const MAX_HELPER_SIZE = 1n << 31n;

export function checkAssertion(ctx: VerifierContext, state: State, slot: number, assertion: Assertion): void {
  switch (assertion.a) {
    case 'initialised':
      if (state.regs[assertion.reg]!.t === 'uninit') ctx.fail(VmErrorCode.UNINIT_REGISTER, slot, `r${assertion.reg} is read before it is initialised`);
      return;
    case 'not-frame-pointer':
      if (assertion.reg === FRAME_POINTER) ctx.fail(VmErrorCode.FRAME_POINTER_WRITE, slot, 'r10 (the frame pointer) is read-only');
      return;
    case 'access':
      checkAccess(ctx, state, slot, assertion.base, assertion.offset, assertion.width, assertion.write, assertion.signExtend);
      return;
    case 'packet-load':
      ctx.runtimeChecks.add(slot);
      return;
    case 'helper':
      checkHelperCall(ctx, state, slot, assertion.id);
      return;
    case 'callx': {
      const target = state.regs[assertion.reg]!;
      const id = callxTarget(target);
      if (id === null || !ctx.platform.helpers.has(id)) {
        ctx.fail(VmErrorCode.INVALID_CALLX, slot, `callx target r${assertion.reg} must be a known helper number, but it is ${describeValue(target, ctx.mapName)}`);
      }
      checkHelperCall(ctx, state, slot, id);
      return;
    }
    case 'local-call':
      if (state.frames.length + 1 > MAX_CALL_DEPTH) ctx.fail(VmErrorCode.CALL_DEPTH_EXCEEDED, slot, `call depth exceeds ${MAX_CALL_DEPTH} frames`);
      return;
    case 'exit': {
      if (state.depth > 0) return;
      const r0 = state.regs[0]!;
      if (r0.t === 'uninit') ctx.fail(VmErrorCode.UNINIT_REGISTER, slot, 'r0 (the return value) is uninitialised at exit');
      if (r0.t !== 'scalar' && r0.t !== 'map') ctx.fail(VmErrorCode.INVALID_RETURN, slot, `the program must return a scalar in r0, not ${describeValue(r0, ctx.mapName)}`);
      return;
    }
  }
}

export function callxTarget(v: Value): number | null {
  if (v.t !== 'scalar' || !isConstant(v.v)) return null;
  const id = BigInt.asIntN(64, v.v.umin);
  return id >= -(1n << 31n) && id < 1n << 31n ? Number(id) : null;
}

function checkAccess(ctx: VerifierContext, state: State, slot: number, base: number, offset: number, width: number, write: boolean, signExtend: boolean): void {
  const ptr = state.regs[base]!;
  if (ptr.t === 'ctx') {
    checkContextAccess(ctx, slot, ptr.off, offset, width, write, signExtend);
    return;
  }
  const what = `${write ? 'store to' : 'load from'} r${base}${offset >= 0 ? '+' : ''}${offset}`;
  const pointer = requireMemoryPointer(ctx, slot, ptr, what);
  checkMemory(ctx, state, slot, pointer, offset, { min: width, max: width }, write, !write, false, what);
}

/** The context field a load at `offset` of `width` bytes reads, or why there is none. */
export function contextField(fields: readonly ContextField[], offset: number, width: number): ContextField | undefined {
  return fields.find((f) =>
    f.kind === 'scalar' ? offset >= f.offset && offset + width <= f.offset + f.size : offset === f.offset && width === f.size);
}

function checkContextAccess(ctx: VerifierContext, slot: number, off: Range, offset: number, width: number, write: boolean, signExtend: boolean): void {
  const layout = ctx.platform.context;
  if (off.lo !== off.hi) ctx.fail(VmErrorCode.CONTEXT_ACCESS, slot, 'context access at a variable offset');
  const at = off.lo + offset;
  if (write && !layout.writable) ctx.fail(VmErrorCode.READ_ONLY_WRITE, slot, `store into the ${ctx.platform.name} context, which is read-only`);
  const field = contextField(layout.fields, at, width);
  if (!field || (write && field.kind !== 'scalar') || (signExtend && field.kind !== 'scalar')) {
    const fields = layout.fields.map((f) => `${f.name} at ${f.offset} (${f.size} bytes)`).join(', ');
    ctx.fail(VmErrorCode.CONTEXT_ACCESS, slot, `${write ? 'store' : 'load'} of ${width} bytes at context offset ${at} is not a ${write ? 'writable ' : ''}field of the ${ctx.platform.name} context (fields: ${fields || 'none'})`);
  }
}

function requireMemoryPointer(ctx: VerifierContext, slot: number, v: Value, what: string): PointerValue {
  switch (v.t) {
    case 'stack': case 'packet': case 'region': case 'map-value':
      return v;
    case 'map-value-or-null':
      return ctx.fail(VmErrorCode.INVALID_DEREFERENCE, slot, `${what}: the map value pointer may be null (compare it with 0 first)`);
    case 'scalar':
      return ctx.fail(VmErrorCode.INVALID_DEREFERENCE, slot, `${what}: dereference of a scalar (${describeValue(v)}), not a pointer`);
    default:
      return ctx.fail(VmErrorCode.INVALID_DEREFERENCE, slot, `${what}: dereference of ${describeValue(v, ctx.mapName)}`);
  }
}

interface Size {
  min: number;
  max: number;
}

/**
 * An access of `size` bytes at `pointer` + `delta`. Rejects what is outside its object on every
 * path (and any stack access not proven inside the frame for a helper); records the rest that
 * cannot be proven as a runtime check.
 */
function checkMemory(
  ctx: VerifierContext, state: State, slot: number, pointer: PointerValue, delta: number, size: Size,
  write: boolean, needInit: boolean, forHelper: boolean, what: string,
): void {
  const from = shift(pointer.off, exact(delta));
  const inside = (objectSize: number) => from.lo >= 0 && from.hi + size.max <= objectSize;
  // Before the start, or past the end even at the smallest size; an empty access touches nothing.
  const outside = (objectSize: number) => size.min > 0 && (from.hi < 0 || from.lo + size.min > objectSize);
  switch (pointer.t) {
    case 'stack': {
      const frame = state.frames[pointer.frame]!;
      const lo = from.lo;
      const hi = from.hi + size.max;
      if (from.hi + size.min > 0 && from.lo + size.min > 0 || from.hi < -STACK_FRAME_BYTES) {
        ctx.fail(VmErrorCode.STACK_OUT_OF_BOUNDS, slot, `${what}: stack access of ${size.max} bytes at offset ${formatRange(from)} is outside the ${STACK_FRAME_BYTES}-byte frame`);
      }
      const within = lo >= -STACK_FRAME_BYTES && hi <= 0;
      if (!within) {
        if (forHelper) ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${what}: ${size.max === size.min ? '' : 'up to '}${size.max} bytes at stack offset ${formatRange(from)} are not proven inside the ${STACK_FRAME_BYTES}-byte frame (memory of unproven size)`);
        if (from.lo === from.hi) ctx.fail(VmErrorCode.STACK_OUT_OF_BOUNDS, slot, `${what}: stack access of ${size.max} bytes at offset ${from.lo} is outside the ${STACK_FRAME_BYTES}-byte frame`);
        ctx.runtimeChecks.add(slot);
        return;
      }
      ctx.noteStackUse(lo);
      if (from.lo !== from.hi) {
        // Inside the frame at a variable offset: initialisation cannot be tracked per byte, so a
        // plain load may read bytes never written (the engines zero the stack for every run); a
        // helper, which may read all of its buffer, needs every byte the range can reach.
        if (forHelper && needInit && !frame.isInitialised(lo, hi)) {
          ctx.fail(VmErrorCode.UNINIT_STACK, slot, `${what}: stack bytes ${lo}..${hi - 1} may be uninitialised`);
        }
        return;
      }
      if (needInit && !frame.isInitialised(lo, hi)) {
        ctx.fail(VmErrorCode.UNINIT_STACK, slot, `${what}: reads uninitialised stack bytes at offset ${firstUninit(frame.init, lo, hi)} (range ${lo}..${hi - 1})`);
      }
      return;
    }
    case 'packet': {
      const region = ctx.regions.get(pointer.region);
      if (write && region && !region.writable) ctx.fail(VmErrorCode.READ_ONLY_WRITE, slot, `${what}: the packet is read-only`);
      const fixed = region?.size ?? 0;
      const proven = from.lo >= 0 && (
        from.hi + size.max <= fixed
        || from.hi + size.max <= state.provenBytes(DATA_ID)
        || (pointer.id > DATA_ID && pointer.fix + delta + size.max <= state.provenBytes(pointer.id))
        || (pointer.id === DATA_ID && pointer.fix + delta + size.max <= state.provenBytes(DATA_ID)));
      if (proven) return;
      if (outside(region?.size ?? Infinity)) {
        ctx.fail(VmErrorCode.OUT_OF_BOUNDS, slot, `${what}: packet access of ${size.max} bytes at offset ${formatRange(from)} is outside the packet`);
      }
      ctx.runtimeChecks.add(slot);
      return;
    }
    case 'region': {
      const region = ctx.regions.get(pointer.region)!;
      if (write && !region.writable) ctx.fail(VmErrorCode.READ_ONLY_WRITE, slot, `${what}: ${region.name} is read-only`);
      if (inside(region.size)) return;
      if (outside(region.size)) ctx.fail(VmErrorCode.OUT_OF_BOUNDS, slot, `${what}: access of ${size.max} bytes at offset ${formatRange(from)} is outside ${region.name} (${region.size} bytes)`);
      ctx.runtimeChecks.add(slot);
      return;
    }
    case 'map-value': {
      const map = ctx.map(pointer.map);
      if (inside(map.valueSize)) return;
      if (outside(map.valueSize)) ctx.fail(VmErrorCode.OUT_OF_BOUNDS, slot, `${what}: access of ${size.max} bytes at offset ${formatRange(from)} is outside the ${map.valueSize}-byte value of map ${map.name}`);
      ctx.runtimeChecks.add(slot);
      return;
    }
    default:
      ctx.fail(VmErrorCode.INVALID_DEREFERENCE, slot, `${what}: not memory`);
  }
}

function firstUninit(init: Uint8Array, lo: number, hi: number): number {
  for (let o = lo; o < hi; o++) if (!init[o + STACK_FRAME_BYTES]) return o;
  return lo;
}

/** A helper's memory argument with its length: the pointer and the proven range of the length. */
export interface MemoryArgument {
  reg: number;
  pointer: PointerValue;
  size: Size;
  write: boolean;
}

/** The memory arguments of a call as the prototype pairs them (used by the transfer too). */
export function memoryArguments(ctx: VerifierContext, state: State, proto: HelperPrototype): MemoryArgument[] {
  const list: MemoryArgument[] = [];
  let map: number | null = null;
  proto.args.forEach((kind, k) => {
    const reg = k + 1;
    const v = state.regs[reg]!;
    if (kind === 'map' && v.t === 'map') map = v.map;
    const isMem = kind === 'mem' || kind === 'mem-or-null' || kind === 'mem-out' || kind === 'mem-out-or-null';
    if (isMem && v.t !== 'scalar' && v.t !== 'uninit' && 'off' in v) {
      const sizeValue = state.regs[reg + 1];
      if (sizeValue?.t === 'scalar' && sizeValue.v.umax <= MAX_HELPER_SIZE) {
        list.push({ reg, pointer: v, size: { min: Number(sizeValue.v.umin), max: Number(sizeValue.v.umax) }, write: kind === 'mem-out' || kind === 'mem-out-or-null' });
      }
    }
    if ((kind === 'map-key' || kind === 'map-value') && map !== null && 'off' in v) {
      const info = ctx.map(map);
      const bytes = kind === 'map-key' ? info.keySize : info.valueSize;
      list.push({ reg, pointer: v, size: { min: bytes, max: bytes }, write: false });
    }
  });
  return list;
}

function checkHelperCall(ctx: VerifierContext, state: State, slot: number, id: number): void {
  const proto = ctx.platform.helpers.get(id);
  if (!proto) ctx.fail(VmErrorCode.UNKNOWN_HELPER, slot, `call to unknown helper ${id} (the ${ctx.platform.name} program type has no such helper)`);
  let map: number | null = null;
  const arg = (k: number) => `argument ${k + 1} (r${k + 1}) of ${proto.name}`;
  proto.args.forEach((kind, k) => {
    const reg = k + 1;
    const v = state.regs[reg]!;
    if (v.t === 'uninit') ctx.fail(VmErrorCode.UNINIT_REGISTER, slot, `${arg(k)} is uninitialised`);
    const wrong = (expected: string): never =>
      ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${arg(k)} must be ${expected}, but it is ${describeValue(v, ctx.mapName)}`);
    switch (kind) {
      case 'any':
        return;
      case 'scalar':
      case 'size':
        if (v.t !== 'scalar') wrong('a scalar');
        return;
      case 'ctx':
        if (v.t !== 'ctx' || v.off.lo !== 0 || v.off.hi !== 0) wrong('the context pointer');
        return;
      case 'map':
        if (v.t !== 'map') wrong('a map (loaded with lddw)');
        map = (v as Extract<Value, { t: 'map' }>).map;
        return;
      case 'mem':
      case 'mem-or-null':
      case 'mem-out':
      case 'mem-out-or-null': {
        const nullable = kind === 'mem-or-null' || kind === 'mem-out-or-null';
        const output = kind === 'mem-out' || kind === 'mem-out-or-null';
        if (nullable && v.t === 'scalar' && isConstant(v.v) && v.v.umin === 0n) return;
        const sizeKind = proto.args[k + 1];
        if (sizeKind !== 'size') throw new Error(`helper ${proto.name}: memory argument ${k + 1} is not followed by a size argument`);
        if (v.t === 'map-value-or-null') ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${arg(k)} may be null (compare it with 0 first)`);
        if (v.t === 'scalar') wrong(nullable ? 'a pointer to memory or 0' : 'a pointer to memory');
        if (v.t !== 'stack' && v.t !== 'packet' && v.t !== 'region' && v.t !== 'map-value') wrong('a pointer to memory');
        const sizeValue = state.regs[reg + 1]!;
        if (sizeValue.t !== 'scalar') return; // reported with the size argument
        if (sizeValue.v.umax > MAX_HELPER_SIZE) {
          uncheckedLength(ctx, state, slot, v as PointerValue, sizeValue.v, output, nullable, reg, arg);
          return;
        }
        const size = { min: Number(sizeValue.v.umin), max: Number(sizeValue.v.umax) };
        checkMemory(ctx, state, slot, v as PointerValue, 0, size, output, !output, true, arg(k));
        return;
      }
      case 'map-key':
      case 'map-value': {
        if (v.t === 'map-value-or-null') ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${arg(k)} may be null (compare it with 0 first)`);
        if (v.t !== 'stack' && v.t !== 'packet' && v.t !== 'region' && v.t !== 'map-value') wrong(`a pointer to the map's ${kind === 'map-key' ? 'key' : 'value'}`);
        if (map === null) throw new Error(`helper ${proto.name}: ${kind} argument without a preceding map argument`);
        const info = ctx.map(map);
        const bytes = kind === 'map-key' ? info.keySize : info.valueSize;
        checkMemory(ctx, state, slot, v as PointerValue, 0, { min: bytes, max: bytes }, false, true, true, arg(k));
        return;
      }
    }
  });
}

/**
 * A buffer whose length has no proven upper bound: refused on the stack (a helper could write
 * over the caller's frames, which the verifier tracks) and where it is out of bounds whatever
 * the length; elsewhere accepted with a run-time check of the buffer before the call.
 */
function uncheckedLength(
  ctx: VerifierContext, state: State, slot: number, pointer: PointerValue, size: Scalar, write: boolean, nullable: boolean,
  reg: number, arg: (k: number) => string,
): void {
  const length = `${arg(reg)} is a length with no proven upper bound (${describeValue({ t: 'scalar', v: size })})`;
  if (size.umin > MAX_HELPER_SIZE) ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${length}: at least ${size.umin} bytes, larger than any buffer`);
  if (pointer.t === 'stack') ctx.fail(VmErrorCode.HELPER_ARGUMENT, slot, `${length}: a stack buffer needs a length proven to fit its frame (compare it with a constant first)`);
  checkMemory(ctx, state, slot, pointer, 0, { min: Number(size.umin), max: Infinity }, write, false, true, arg(reg - 1));
  ctx.addBufferCheck(slot, { pointer: reg, size: reg + 1, write, nullable });
}
