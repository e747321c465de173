/**
 * Exact 64-bit arithmetic on registers held as two 32-bit halves (lo, hi), the representation the
 * interpreter uses so that the common paths stay on small integers. Results go to `out`
 * ([lo, hi]); BigInt is used only where a 64-bit quotient needs it.
 */
export const out = new Int32Array(2);

const TWO32 = 4294967296;

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit values. */
function mulHighU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
}

export function mul64(alo: number, ahi: number, blo: number, bhi: number): void {
  out[0] = Math.imul(alo, blo);
  out[1] = mulHighU32(alo >>> 0, blo >>> 0) + Math.imul(alo, bhi) + Math.imul(ahi, blo);
}

/**
 * A u64 into bytes, little-endian: a number (0 to 2^53) as its two halves, a bigint as its low 64
 * bits; no DataView and (for numbers) no BigInt, for what the packet path writes per packet or call.
 */
export function putU64(bytes: Uint8Array, at: number, value: number | bigint): void {
  let lo: number;
  let hi: number;
  if (typeof value === 'number') {
    lo = value >>> 0;
    hi = Math.floor(value / TWO32) >>> 0;
  } else {
    const v = BigInt.asUintN(64, value);
    lo = Number(v & 0xffffffffn);
    hi = Number(v >> 32n);
  }
  bytes[at] = lo; bytes[at + 1] = lo >>> 8; bytes[at + 2] = lo >>> 16; bytes[at + 3] = lo >>> 24;
  bytes[at + 4] = hi; bytes[at + 5] = hi >>> 8; bytes[at + 6] = hi >>> 16; bytes[at + 7] = hi >>> 24;
}

/** BigInts of small values, made once: r0 and helper arguments are mostly flags, ids, lifetimes and lengths. */
const SMALL_BIGINTS = Array.from({ length: 4096 }, (_, i) => BigInt(i));

/** An unsigned 64-bit value from its halves, without allocating for small ones. */
export function toBigU(lo: number, hi: number): bigint {
  if (hi === 0 && lo >>> 0 < 4096) return SMALL_BIGINTS[lo]!;
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export function toBigS(lo: number, hi: number): bigint {
  return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);
}

export function fromBig(value: bigint): void {
  out[0] = Number(BigInt.asIntN(32, value));
  out[1] = Number(BigInt.asIntN(32, value >> 32n));
}

/** Unsigned division; a zero divisor gives 0 (RFC 9669). */
export function div64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = Math.floor((alo >>> 0) / (blo >>> 0));
    out[1] = 0;
  } else {
    fromBig(toBigU(alo, ahi) / toBigU(blo, bhi));
  }
}

/** Unsigned modulo; a zero divisor leaves the dividend. */
export function mod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
  } else if (ahi === 0 && bhi === 0) {
    out[0] = (alo >>> 0) % (blo >>> 0);
    out[1] = 0;
  } else {
    fromBig(toBigU(alo, ahi) % toBigU(blo, bhi));
  }
}

const fitsInt32 = (lo: number, hi: number): boolean => hi === lo >> 31;

/** Signed division truncating toward zero; zero divisor gives 0; INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = 0;
    out[1] = 0;
  } else if (fitsInt32(alo, ahi) && fitsInt32(blo, bhi)) {
    const q = Math.trunc(alo / blo);
    out[0] = q;
    out[1] = q < 0 ? -1 : 0;
  } else {
    fromBig(BigInt.asIntN(64, toBigS(alo, ahi) / toBigS(blo, bhi)));
  }
}

/** Signed remainder with the dividend's sign; zero divisor leaves the dividend. */
export function smod64(alo: number, ahi: number, blo: number, bhi: number): void {
  if (blo === 0 && bhi === 0) {
    out[0] = alo;
    out[1] = ahi;
  } else if (fitsInt32(alo, ahi) && fitsInt32(blo, bhi)) {
    const r = alo % blo;
    out[0] = r;
    out[1] = r < 0 ? -1 : 0;
  } else {
    fromBig(toBigS(alo, ahi) % toBigS(blo, bhi));
  }
}

export function lsh64(lo: number, hi: number, n: number): void {
  n &= 63;
  if (n === 0) { out[0] = lo; out[1] = hi; }
  else if (n < 32) { out[1] = (hi << n) | (lo >>> (32 - n)); out[0] = lo << n; }
  else { out[1] = lo << (n - 32); out[0] = 0; }
}

export function rsh64(lo: number, hi: number, n: number): void {
  n &= 63;
  if (n === 0) { out[0] = lo; out[1] = hi; }
  else if (n < 32) { out[0] = (lo >>> n) | (hi << (32 - n)); out[1] = hi >>> n; }
  else { out[0] = hi >>> (n - 32); out[1] = 0; }
}

export function arsh64(lo: number, hi: number, n: number): void {
  n &= 63;
  if (n === 0) { out[0] = lo; out[1] = hi; }
  else if (n < 32) { out[0] = (lo >>> n) | (hi << (32 - n)); out[1] = hi >> n; }
  else { out[0] = hi >> (n - 32); out[1] = hi >> 31; }
}

export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Unsigned a > b on 64-bit halves. */
export function gtU(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi >>> 0 > bhi >>> 0;
}

/** Signed a > b on 64-bit halves. */
export function gtS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi === bhi ? alo >>> 0 > blo >>> 0 : (ahi | 0) > (bhi | 0);
}
