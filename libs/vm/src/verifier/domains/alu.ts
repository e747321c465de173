import { AluOp } from '../../isa/opcodes.js';
import {
  TOP, TOP32, U32_MAX, add, and, arsh64, constant, isConstant, low32, lsh, mul, or, rsh, signedBits,
  sub, truncate32, udiv, umod, unsignedBits, xor, type Scalar,
} from './scalar.js';

/*
 * Arithmetic on scalars: exact for constants (the interpreter's semantics written in BigInt),
 * intervals otherwise. 32-bit forms see the low halves and zero-extend their result.
 */

const MASK64 = (1n << 64n) - 1n;

/** `dst op= src` on concrete 64-bit patterns; `offset` selects sdiv/smod (1) and movsx (8/16/32). */
export function evalAlu(op: number, dst: bigint, src: bigint, is64: boolean, offset: number): bigint {
  const bits = is64 ? 64 : 32;
  const mask = is64 ? MASK64 : U32_MAX;
  const a = dst & mask;
  const b = src & mask;
  const signed = (v: bigint): bigint => BigInt.asIntN(bits, v);
  let r: bigint;
  switch (op) {
    case AluOp.ADD: r = a + b; break;
    case AluOp.SUB: r = a - b; break;
    case AluOp.MUL: r = a * b; break;
    case AluOp.DIV:
      if (b === 0n) r = 0n;
      else r = offset === 1 ? signed(a) / signed(b) : a / b;
      break;
    case AluOp.MOD:
      if (b === 0n) r = a;
      else r = offset === 1 ? signed(a) % signed(b) : a % b;
      break;
    case AluOp.OR: r = a | b; break;
    case AluOp.AND: r = a & b; break;
    case AluOp.XOR: r = a ^ b; break;
    case AluOp.LSH: r = a << (b & BigInt(bits - 1)); break;
    case AluOp.RSH: r = a >> (b & BigInt(bits - 1)); break;
    case AluOp.ARSH: r = signed(a) >> (b & BigInt(bits - 1)); break;
    case AluOp.NEG: r = -a; break;
    case AluOp.MOV:
      r = offset === 0 ? b : BigInt.asIntN(offset, src);
      break;
    default:
      throw new Error(`evalAlu: no ALU operation 0x${op.toString(16)}`);
  }
  return BigInt.asUintN(bits, r);
}

/** The interval result of `dst op= src` (src already the immediate or register value). */
export function aluScalar(op: number, dst: Scalar, src: Scalar, is64: boolean, offset: number): Scalar {
  if (isConstant(dst) && isConstant(src)) return constant(evalAlu(op, dst.umin, src.umin, is64, offset));
  if (op === AluOp.MOV) return movScalar(src, is64, offset);
  if (op === AluOp.NEG) return is64 ? sub(constant(0n), dst) : truncate32(sub(constant(0n), low32(dst)));
  const a = is64 ? dst : low32(dst);
  const b = is64 ? src : low32(src);
  const bits = is64 ? 64 : 32;
  let r: Scalar;
  switch (op) {
    case AluOp.ADD: r = add(a, b); break;
    case AluOp.SUB: r = sub(a, b); break;
    case AluOp.MUL: r = mul(a, b); break;
    case AluOp.DIV: r = offset === 1 ? (is64 ? TOP : TOP32) : udiv(a, b); break;
    case AluOp.MOD: r = offset === 1 ? (is64 ? TOP : TOP32) : umod(a, b); break;
    case AluOp.OR: r = or(a, b); break;
    case AluOp.AND: r = and(a, b); break;
    case AluOp.XOR: r = xor(a, b); break;
    case AluOp.LSH: r = lsh(a, b, bits); break;
    case AluOp.RSH: r = rsh(a, b, bits); break;
    case AluOp.ARSH: r = is64 ? arsh64(a, b) : TOP32; break;
    default: r = is64 ? TOP : TOP32;
  }
  return is64 ? r : truncate32(r);
}

function movScalar(src: Scalar, is64: boolean, offset: number): Scalar {
  if (offset === 0) return is64 ? src : low32(src);
  // movsx: a value that fits below the sign bit is unchanged; otherwise any sign-extended value.
  if (src.umax < 1n << BigInt(offset - 1)) return src;
  return is64 ? signedBits(offset) : TOP32;
}

/** le/be/bswap of width `bits`: the low `bits` bits (swapped or not), zero-extended unless 64. */
export function endScalar(x: Scalar, bits: number, swap: boolean): Scalar {
  if (isConstant(x)) {
    const v = x.umin & ((1n << BigInt(bits)) - 1n);
    return constant(swap ? byteSwap(v, bits / 8) : v);
  }
  if (!swap && x.umax < 1n << BigInt(bits)) return x;
  return unsignedBits(bits);
}

function byteSwap(v: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** What a load of `width` bytes yields: zero-extended, or sign-extended for ldxs*. */
export function loadedScalar(width: number, signExtend: boolean): Scalar {
  return signExtend ? signedBits(width * 8) : unsignedBits(width * 8);
}
