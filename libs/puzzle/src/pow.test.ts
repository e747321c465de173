import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '@noble/hashes/sha2.js';
import { hasLeadingZeroBits, leadingZeroBits, PowHasher } from './pow.js';

test('puzzle pow - the one-block hasher matches sha256() on random inputs', () => {
  const h = new PowHasher();
  const input = new Uint8Array(29);
  for (let n = 0; n < 2000; n++) {
    crypto.getRandomValues(input);
    h.load(input.subarray(0, 16), input.subarray(16, 24));
    const index = input[24]!;
    const solution = new DataView(input.buffer).getUint32(25);
    const digest = sha256(input);
    assert.equal(h.firstWord(index, solution), new DataView(digest.buffer).getUint32(0));
    const bits = leadingZeroBits(digest);
    for (const d of [0, 1, bits, bits + 1, 26]) assert.equal(h.check(index, solution, d), d <= bits || d === 0, `d=${d} bits=${bits}`);
  }
});

test('puzzle pow - leading zero bit helpers', () => {
  assert.equal(leadingZeroBits(new Uint8Array([0, 0x10, 0xff])), 11);
  assert.equal(leadingZeroBits(new Uint8Array(4)), 32);
  assert.equal(hasLeadingZeroBits(new Uint8Array([0, 0x10]), 11), true);
  assert.equal(hasLeadingZeroBits(new Uint8Array([0, 0x10]), 12), false);
});
