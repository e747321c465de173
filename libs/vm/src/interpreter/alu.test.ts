import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assemble } from '../isa/assemble.js';
import { Interpreter } from './interpreter.js';

/*
 * Every ALU and jump operation against an exact BigInt model, on random operands biased toward
 * the boundaries where the (lo, hi) fast paths could go wrong.
 */

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint) => BigInt.asUintN(64, x);
const s64 = (x: bigint) => BigInt.asIntN(64, x);
const u32 = (x: bigint) => BigInt.asUintN(32, x);
const s32 = (x: bigint) => BigInt.asIntN(32, x);

const edges = [0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0xffffffff80000000n];
const word = fc.oneof(
  fc.constantFrom(...edges),
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
  fc.bigInt({ min: -(1n << 31n), max: (1n << 31n) - 1n }).map(u64),
);
const imm = fc.oneof(fc.constantFrom(0, 1, -1, 31, 32, 63, 64, 0x7fffffff, -0x80000000), fc.integer({ min: -0x80000000, max: 0x7fffffff }));

type Model = (a: bigint, b: bigint) => bigint;
const model64: Record<string, Model> = {
  add: (a, b) => u64(a + b),
  sub: (a, b) => u64(a - b),
  mul: (a, b) => u64(a * b),
  div: (a, b) => (b === 0n ? 0n : a / b),
  mod: (a, b) => (b === 0n ? a : a % b),
  sdiv: (a, b) => (b === 0n ? 0n : u64(s64(a) / s64(b))),
  smod: (a, b) => (b === 0n ? a : u64(s64(a) % s64(b))),
  or: (a, b) => a | b,
  and: (a, b) => a & b,
  xor: (a, b) => a ^ b,
  lsh: (a, b) => u64(a << (b & 63n)),
  rsh: (a, b) => a >> (b & 63n),
  arsh: (a, b) => u64(s64(a) >> (b & 63n)),
  mov: (_a, b) => b,
};
const model32: Record<string, Model> = {
  add: (a, b) => u32(a + b),
  sub: (a, b) => u32(a - b),
  mul: (a, b) => u32(u32(a) * u32(b)),
  div: (a, b) => (u32(b) === 0n ? 0n : u32(a) / u32(b)),
  mod: (a, b) => (u32(b) === 0n ? u32(a) : u32(a) % u32(b)),
  sdiv: (a, b) => (u32(b) === 0n ? 0n : u32(s32(a) / s32(b))),
  smod: (a, b) => (u32(b) === 0n ? u32(a) : u32(s32(a) % s32(b))),
  or: (a, b) => u32(a | b),
  and: (a, b) => u32(a & b),
  xor: (a, b) => u32(a ^ b),
  lsh: (a, b) => u32(a << (b & 31n)),
  rsh: (a, b) => u32(a) >> (b & 31n),
  arsh: (a, b) => u32(s32(a) >> (b & 31n)),
  mov: (_a, b) => u32(b),
};

function run(source: string): bigint {
  const result = new Interpreter(assemble(source)).run();
  assert.equal(result.fault, null);
  return result.value;
}

const hex = (x: bigint) => `0x${x.toString(16)}`;

for (const [name, model] of Object.entries(model64)) {
  test(`alu - ${name} (64-bit, register and immediate) matches exact arithmetic`, () => {
    fc.assert(fc.property(word, word, (a, b) => run(`lddw %r0, ${hex(a)}\nlddw %r1, ${hex(b)}\n${name} %r0, %r1\nexit`) === model(a, b)), { numRuns: 300 });
    fc.assert(fc.property(word, imm, (a, k) => run(`lddw %r0, ${hex(a)}\n${name} %r0, ${k}\nexit`) === model(a, u64(BigInt(k)))), { numRuns: 300 });
  });
}

for (const [name, model] of Object.entries(model32)) {
  test(`alu - ${name}32 (register and immediate) matches exact arithmetic and zero-extends`, () => {
    fc.assert(fc.property(word, word, (a, b) => run(`lddw %r0, ${hex(a)}\nlddw %r1, ${hex(b)}\n${name}32 %r0, %r1\nexit`) === model(a, b)), { numRuns: 300 });
    fc.assert(fc.property(word, imm, (a, k) => run(`lddw %r0, ${hex(a)}\n${name}32 %r0, ${k}\nexit`) === model(a, u64(BigInt(k)))), { numRuns: 300 });
  });
}

test('alu - neg, movsx, byte swaps match exact arithmetic', () => {
  const swap = (x: bigint, bytes: number) => {
    let r = 0n;
    for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
    return r;
  };
  fc.assert(
    fc.property(word, (a) => {
      const r = (body: string) => run(`lddw %r1, ${hex(a)}\nmov %r0, %r1\n${body}\nexit`);
      assert.equal(r('neg %r0'), u64(-a));
      assert.equal(r('neg32 %r0'), u32(-a));
      assert.equal(r('movsx864 %r0, %r1'), u64(BigInt.asIntN(8, a)));
      assert.equal(r('movsx1664 %r0, %r1'), u64(BigInt.asIntN(16, a)));
      assert.equal(r('movsx3264 %r0, %r1'), u64(BigInt.asIntN(32, a)));
      assert.equal(r('movsx832 %r0, %r1'), u32(BigInt.asIntN(8, a)));
      assert.equal(r('movsx1632 %r0, %r1'), u32(BigInt.asIntN(16, a)));
      for (const bits of [16, 32, 64]) {
        assert.equal(r(`be${bits} %r0`), swap(a, bits / 8));
        assert.equal(r(`bswap${bits} %r0`), swap(a, bits / 8));
        assert.equal(r(`le${bits} %r0`), BigInt.asUintN(bits, a));
      }
      return true;
    }),
    { numRuns: 400 },
  );
});

const jumps: Record<string, (a: bigint, b: bigint) => boolean> = {
  jeq: (a, b) => a === b,
  jne: (a, b) => a !== b,
  jgt: (a, b) => a > b,
  jge: (a, b) => a >= b,
  jlt: (a, b) => a < b,
  jle: (a, b) => a <= b,
  jset: (a, b) => (a & b) !== 0n,
  jsgt: (a, b) => s64(a) > s64(b),
  jsge: (a, b) => s64(a) >= s64(b),
  jslt: (a, b) => s64(a) < s64(b),
  jsle: (a, b) => s64(a) <= s64(b),
};

test('alu - every conditional jump, 64 and 32 bit, register and immediate, matches the model', () => {
  for (const [name, taken] of Object.entries(jumps)) {
    const is32Signed = name.startsWith('js');
    const narrow = (x: bigint) => (is32Signed ? u64(s32(x)) : u32(x));
    const branch = (cmp: string) => `mov %r0, 0\n${cmp}\nexit\nmov %r0, 1\nexit`;
    fc.assert(
      fc.property(word, word, imm, (a, b, k) => {
        const load = `lddw %r1, ${hex(a)}\nlddw %r2, ${hex(b)}\n`;
        const kk = u64(BigInt(k));
        assert.equal(run(load + branch(`${name} %r1, %r2, +1`)), taken(a, b) ? 1n : 0n, `${name} reg`);
        assert.equal(run(load + branch(`${name} %r1, ${k}, +1`)), taken(a, kk) ? 1n : 0n, `${name} imm`);
        // JMP32 compares the low halves, signed or unsigned as the 64-bit form does.
        const expect32 = is32Signed ? taken(narrow(a), narrow(b)) : taken(u32(a), u32(b));
        assert.equal(run(load + branch(`${name}32 %r1, %r2, +1`)), expect32 ? 1n : 0n, `${name}32 reg`);
        return true;
      }),
      { numRuns: 150 },
    );
  }
});
