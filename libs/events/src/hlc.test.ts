import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareHlc, HybridLogicalClock } from './hlc.js';

test('events hlc - strictly increasing while the wall clock stands still or steps back', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 300 }), (walls) => {
    let i = 0;
    const clock = new HybridLogicalClock({ now: () => walls[i++ % walls.length]! });
    let last = clock.now();
    for (let k = 0; k < walls.length * 2; k++) {
      const next = clock.now();
      assert.ok(compareHlc(next, last) > 0);
      last = next;
    }
  }));
});

test('events hlc - after observing a remote time the clock is ahead of it', () => {
  const clock = new HybridLogicalClock({ now: () => 100 });
  const seen = clock.observe({ wall: 500, logical: 7 });
  assert.deepEqual(seen, { wall: 500, logical: 8 });
  assert.ok(compareHlc(clock.now(), { wall: 500, logical: 8 }) > 0);
});

test('events hlc - a full logical counter borrows one millisecond', () => {
  const clock = new HybridLogicalClock({ now: () => 1 });
  clock.observe({ wall: 1, logical: 0xffff });
  assert.deepEqual(clock.peek(), { wall: 2, logical: 0 });
});
