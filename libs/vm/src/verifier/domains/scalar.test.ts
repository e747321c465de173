import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { AluOp, JmpOp } from '../../isa/opcodes.js';
import { refineScalars } from '../transfer.js';
import { aluScalar, endScalar, evalAlu } from './alu.js';
import { constant, join, widen, type Scalar } from './scalar.js';

/*
 * Soundness of the scalar domain: for intervals built around concrete values, the abstract
 * result of every ALU operation contains the concrete result, and refining a comparison keeps
 * every pair of values for which the comparison holds.
 */

const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: (1n << 32n) - 300n, max: (1n << 32n) + 300n }),
  fc.bigInt({ min: (1n << 63n) - 300n, max: (1n << 63n) + 300n }),
  fc.bigInt({ min: (1n << 64n) - 300n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);

function contains(x: Scalar, v: bigint): boolean {
  const s = BigInt.asIntN(64, v);
  return v >= x.umin && v <= x.umax && s >= x.smin && s <= x.smax;
}

const ALU_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.MOD, AluOp.OR, AluOp.AND, AluOp.LSH, AluOp.RSH, AluOp.ARSH, AluOp.XOR, AluOp.MOV, AluOp.NEG];

test('verifier domains - every ALU result lies in the abstract result', () => {
  fc.assert(
    fc.property(u64, u64, u64, u64, fc.constantFrom(...ALU_OPS), fc.boolean(), fc.constantFrom(0, 1, 8, 16, 32), (a1, a2, b1, b2, op, is64, variant) => {
      const offset = op === AluOp.DIV || op === AluOp.MOD ? (variant === 1 ? 1 : 0) : op === AluOp.MOV && variant !== 1 && (is64 || variant !== 32) ? variant : 0;
      const a = join(constant(a1), constant(a2));
      const b = join(constant(b1), constant(b2));
      const result = aluScalar(op, a, b, is64, offset);
      for (const x of [a1, a2]) {
        for (const y of [b1, b2]) {
          const concrete = evalAlu(op, x, y, is64, offset);
          assert.ok(contains(result, concrete), `op 0x${op.toString(16)} is64=${is64} off=${offset}: ${x} ${y} -> ${concrete} not in ${JSON.stringify(result, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
        }
      }
    }),
    { numRuns: 20_000 },
  );
});

test('verifier domains - byte swaps and truncations contain the concrete result', () => {
  fc.assert(
    fc.property(u64, u64, fc.constantFrom(16, 32, 64), fc.boolean(), (a1, a2, bits, swap) => {
      const result = endScalar(join(constant(a1), constant(a2)), bits, swap);
      for (const x of [a1, a2]) {
        let v = x & ((1n << BigInt(bits)) - 1n);
        if (swap) {
          let r = 0n;
          for (let i = 0; i < bits / 8; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
          v = r;
        }
        assert.ok(contains(result, v));
      }
    }),
    { numRuns: 5_000 },
  );
});

const JMP_OPS = [JmpOp.JEQ, JmpOp.JNE, JmpOp.JGT, JmpOp.JGE, JmpOp.JLT, JmpOp.JLE, JmpOp.JSGT, JmpOp.JSGE, JmpOp.JSLT, JmpOp.JSLE, JmpOp.JSET];

function holds(op: number, x: bigint, y: bigint): boolean {
  const sx = BigInt.asIntN(64, x);
  const sy = BigInt.asIntN(64, y);
  switch (op) {
    case JmpOp.JEQ: return x === y;
    case JmpOp.JNE: return x !== y;
    case JmpOp.JGT: return x > y;
    case JmpOp.JGE: return x >= y;
    case JmpOp.JLT: return x < y;
    case JmpOp.JLE: return x <= y;
    case JmpOp.JSGT: return sx > sy;
    case JmpOp.JSGE: return sx >= sy;
    case JmpOp.JSLT: return sx < sy;
    case JmpOp.JSLE: return sx <= sy;
    default: return (x & y) !== 0n;
  }
}

test('verifier domains - refining a comparison keeps every pair for which it holds', () => {
  fc.assert(
    fc.property(u64, u64, u64, u64, fc.constantFrom(...JMP_OPS), (a1, a2, b1, b2, op) => {
      const a = join(constant(a1), constant(a2));
      const b = join(constant(b1), constant(b2));
      const refined = refineScalars(op, a, b);
      for (const x of [a1, a2]) {
        for (const y of [b1, b2]) {
          if (!holds(op, x, y)) continue;
          assert.ok(refined, `op 0x${op.toString(16)}: ${x} ${y} holds but the branch was called unreachable`);
          assert.ok(contains(refined[0], x) && contains(refined[1], y), `op 0x${op.toString(16)}: ${x} ${y} dropped`);
        }
      }
    }),
    { numRuns: 20_000 },
  );
});

test('verifier domains - widening stops at compared constants, then at the extremes', () => {
  const thresholds = { unsigned: [0n, 99n, 100n, 101n], signed: [0n, 99n, 100n, 101n] };
  const grown = widen(join(constant(0n), constant(1n)), join(constant(0n), constant(2n)), thresholds);
  assert.equal(grown.umax, 99n);
  assert.equal(grown.umin, 0n);
  const beyond = widen(grown, join(constant(0n), constant(500n)), thresholds);
  assert.equal(beyond.umax, (1n << 63n) - 1n, "no threshold above 500: the largest value the signed bound allows");
});
