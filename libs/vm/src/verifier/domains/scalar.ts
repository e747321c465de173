/*
 * Scalar values as two intervals over the same 64-bit pattern: unsigned [umin, umax] and signed
 * [smin, smax] (Linux's bounds tracking, without tnums). Every operation returns a sound
 * over-approximation; constants are folded exactly with the interpreter's semantics.
 */

export interface Scalar {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
export const S64_MAX = (1n << 63n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S32_MAX = (1n << 31n) - 1n;
const TWO64 = 1n << 64n;

export const TOP: Scalar = { umin: 0n, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX };
export const TOP32: Scalar = { umin: 0n, umax: U32_MAX, smin: 0n, smax: U32_MAX };

const toSigned = (u: bigint): bigint => BigInt.asIntN(64, u);
const toUnsigned = (s: bigint): bigint => BigInt.asUintN(64, s);

export function constant(value: bigint): Scalar {
  const u = toUnsigned(value);
  const s = toSigned(u);
  return { umin: u, umax: u, smin: s, smax: s };
}

export const isConstant = (x: Scalar): boolean => x.umin === x.umax;

/** Values 0..2^bits-1 (an unsigned load or a zero-extended result). */
export function unsignedBits(bits: number): Scalar {
  if (bits >= 64) return TOP;
  const max = (1n << BigInt(bits)) - 1n;
  return { umin: 0n, umax: max, smin: 0n, smax: max };
}

/** Values -2^(bits-1)..2^(bits-1)-1, sign-extended to 64 bits. */
export function signedBits(bits: number): Scalar {
  if (bits >= 64) return TOP;
  const half = 1n << BigInt(bits - 1);
  return fromSigned(-half, half - 1n);
}

export function fromUnsigned(umin: bigint, umax: bigint): Scalar {
  return tighten({ umin, umax, smin: S64_MIN, smax: S64_MAX }) ?? TOP;
}

export function fromSigned(smin: bigint, smax: bigint): Scalar {
  return tighten({ umin: 0n, umax: U64_MAX, smin, smax }) ?? TOP;
}

/**
 * Makes each interval use what the other knows. Returns null when the two contradict (no
 * value satisfies both): the refined branch is unreachable.
 */
export function tighten(x: Scalar): Scalar | null {
  let { umin, umax, smin, smax } = x;
  if (umin > umax || smin > smax) return null;
  // Signed range on one side of zero: it maps onto one unsigned interval.
  if (smin >= 0n) {
    umin = umin > smin ? umin : smin;
    umax = umax < smax ? umax : smax;
  } else if (smax < 0n) {
    const lo = toUnsigned(smin);
    const hi = toUnsigned(smax);
    umin = umin > lo ? umin : lo;
    umax = umax < hi ? umax : hi;
  }
  if (umin > umax) return null;
  // Unsigned range on one side of 2^63: it maps onto one signed interval.
  if (umax <= S64_MAX || umin > S64_MAX) {
    const lo = toSigned(umin);
    const hi = toSigned(umax);
    smin = smin > lo ? smin : lo;
    smax = smax < hi ? smax : hi;
  }
  if (smin > smax) return null;
  return { umin, umax, smin, smax };
}

export function join(a: Scalar, b: Scalar): Scalar {
  return {
    umin: a.umin < b.umin ? a.umin : b.umin,
    umax: a.umax > b.umax ? a.umax : b.umax,
    smin: a.smin < b.smin ? a.smin : b.smin,
    smax: a.smax > b.smax ? a.smax : b.smax,
  };
}

/**
 * Constants the program compares with (and their neighbours), ascending: widening stops at the
 * next one instead of jumping to the extreme, so `i < 100` loops keep their bound.
 */
export interface Thresholds {
  readonly unsigned: readonly bigint[];
  readonly signed: readonly bigint[];
}

const above = (list: readonly bigint[], v: bigint, extreme: bigint): bigint => list.find((t) => t >= v) ?? extreme;
const below = (list: readonly bigint[], v: bigint, extreme: bigint): bigint => {
  for (let i = list.length - 1; i >= 0; i--) if (list[i]! <= v) return list[i]!;
  return extreme;
};

/** Bounds that grew since `old` jump to the next threshold (or the extreme), so loops reach a fixpoint. */
export function widen(old: Scalar, next: Scalar, thresholds: Thresholds): Scalar {
  const j = join(old, next);
  return tighten({
    umin: j.umin < old.umin ? below(thresholds.unsigned, j.umin, 0n) : j.umin,
    umax: j.umax > old.umax ? above(thresholds.unsigned, j.umax, U64_MAX) : j.umax,
    smin: j.smin < old.smin ? below(thresholds.signed, j.smin, S64_MIN) : j.smin,
    smax: j.smax > old.smax ? above(thresholds.signed, j.smax, S64_MAX) : j.smax,
  }) ?? TOP;
}

export function equals(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax;
}

export function intersect(a: Scalar, b: Scalar): Scalar | null {
  return tighten({
    umin: a.umin > b.umin ? a.umin : b.umin,
    umax: a.umax < b.umax ? a.umax : b.umax,
    smin: a.smin > b.smin ? a.smin : b.smin,
    smax: a.smax < b.smax ? a.smax : b.smax,
  });
}

/** The low 32 bits, as a 32-bit operation sees its operand. */
export function low32(x: Scalar): Scalar {
  if (x.umax <= U32_MAX) return x;
  if (isConstant(x)) return constant(x.umin & U32_MAX);
  return TOP32;
}

/** Zero-extends a result computed on 32-bit operands: exact when it did not wrap. */
export function truncate32(x: Scalar): Scalar {
  if (isConstant(x)) return constant(x.umin & U32_MAX);
  if (x.umax <= U32_MAX) return x;
  return TOP32;
}

export function add(a: Scalar, b: Scalar): Scalar {
  let umin = 0n;
  let umax = U64_MAX;
  if (a.umax + b.umax <= U64_MAX) {
    umin = a.umin + b.umin;
    umax = a.umax + b.umax;
  } else if (a.umin + b.umin > U64_MAX) {
    umin = a.umin + b.umin - TWO64;
    umax = a.umax + b.umax - TWO64;
  }
  let smin = S64_MIN;
  let smax = S64_MAX;
  if (a.smin + b.smin >= S64_MIN && a.smax + b.smax <= S64_MAX) {
    smin = a.smin + b.smin;
    smax = a.smax + b.smax;
  }
  return tighten({ umin, umax, smin, smax }) ?? TOP;
}

export function sub(a: Scalar, b: Scalar): Scalar {
  let umin = 0n;
  let umax = U64_MAX;
  if (a.umin >= b.umax) {
    umin = a.umin - b.umax;
    umax = a.umax - b.umin;
  }
  let smin = S64_MIN;
  let smax = S64_MAX;
  if (a.smin - b.smax >= S64_MIN && a.smax - b.smin <= S64_MAX) {
    smin = a.smin - b.smax;
    smax = a.smax - b.smin;
  }
  return tighten({ umin, umax, smin, smax }) ?? TOP;
}

export function mul(a: Scalar, b: Scalar): Scalar {
  if (a.umax * b.umax <= U64_MAX) return fromUnsigned(a.umin * b.umin, a.umax * b.umax);
  return TOP;
}

/** All bits below the highest bit of `max` set: a bound for or/xor of values up to `max`. */
function fillBelow(max: bigint): bigint {
  let bound = 0n;
  while (bound < max) bound = (bound << 1n) | 1n;
  return bound;
}

export function and(a: Scalar, b: Scalar): Scalar {
  return fromUnsigned(0n, a.umax < b.umax ? a.umax : b.umax);
}

export function or(a: Scalar, b: Scalar): Scalar {
  const lo = a.umin > b.umin ? a.umin : b.umin;
  return fromUnsigned(lo, fillBelow(a.umax > b.umax ? a.umax : b.umax));
}

export function xor(a: Scalar, b: Scalar): Scalar {
  return fromUnsigned(0n, fillBelow(a.umax > b.umax ? a.umax : b.umax));
}

export function udiv(a: Scalar, b: Scalar): Scalar {
  // Division by zero gives 0, which every interval below already contains (lower bound 0 or a/…).
  if (b.umin > 0n) return fromUnsigned(a.umin / b.umax, a.umax / b.umin);
  return fromUnsigned(0n, a.umax);
}

export function umod(a: Scalar, b: Scalar): Scalar {
  // Modulo by zero leaves the dividend, so the result never exceeds a.umax.
  if (b.umin > 0n) return fromUnsigned(0n, a.umax < b.umax - 1n ? a.umax : b.umax - 1n);
  return fromUnsigned(0n, a.umax);
}

export function lsh(a: Scalar, count: Scalar, bits: 32 | 64): Scalar {
  if (!isConstant(count)) return bits === 32 ? TOP32 : TOP;
  const k = count.umin & BigInt(bits - 1);
  const limit = bits === 32 ? U32_MAX : U64_MAX;
  if (a.umax << k <= limit) return fromUnsigned(a.umin << k, a.umax << k);
  return bits === 32 ? TOP32 : TOP;
}

export function rsh(a: Scalar, count: Scalar, bits: 32 | 64): Scalar {
  if (!isConstant(count)) return fromUnsigned(0n, a.umax);
  const k = count.umin & BigInt(bits - 1);
  return fromUnsigned(a.umin >> k, a.umax >> k);
}

export function arsh64(a: Scalar, count: Scalar): Scalar {
  if (!isConstant(count)) return fromSigned(a.smin < 0n ? a.smin : 0n, a.smax > 0n ? a.smax : 0n);
  const k = count.umin & 63n;
  return fromSigned(a.smin >> k, a.smax >> k);
}

export function describe(x: Scalar): string {
  if (isConstant(x)) return `scalar ${x.smin}`;
  if (x.umin === 0n && x.umax === U64_MAX && x.smin === S64_MIN && x.smax === S64_MAX) return 'scalar';
  if (x.umax <= S64_MAX) return `scalar in [${x.umin}, ${x.umax}]`;
  return `scalar in [${x.smin}, ${x.smax}] (signed)`;
}
