import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DifficultyController } from './difficulty-controller.js';

const T = 1_000;
const calm = { windowMs: 1000, unverifiedPackets: 10, failedAnswers: 0 };
const attack = (pps: number) => ({ windowMs: 1000, unverifiedPackets: pps, failedAnswers: 0 });

test('challenge difficulty - raises fast under attack, decays slowly, floor lags behind raises', () => {
  const c = new DifficultyController({ baseBits: 10, maxBits: 20, capacityPps: 1000, decaySeconds: 30, validitySeconds: 30 });
  assert.deepEqual(c.get('svc', T), { bits: 10, floorBits: 10, subPuzzles: 8 });
  assert.equal(c.report('svc', calm, T), false);
  assert.equal(c.report('svc', attack(16_000), T + 1), true);
  assert.equal(c.get('svc', T + 1).bits, 14, '16× overload: +4 bits in one report');
  assert.equal(c.get('svc', T + 1).floorBits, 10, 'challenges issued before the raise still verify');
  c.report('svc', attack(100_000), T + 2);
  c.report('svc', attack(100_000), T + 3);
  assert.equal(c.get('svc', T + 3).bits, 20, 'capped at maxBits');
  assert.equal(c.get('svc', T + 40).floorBits, 20, 'floor catches up after the validity window');
  // Quiet: one bit per 30 s.
  c.tick(T + 32);
  assert.equal(c.get('svc', T + 32).bits, 20);
  c.tick(T + 33);
  assert.equal(c.get('svc', T + 33).bits, 19);
  assert.equal(c.get('svc', T + 33).floorBits, 19, 'a decrease lowers the floor at once');
  c.tick(T + 50);
  assert.equal(c.get('svc', T + 50).bits, 19);
  c.tick(T + 63);
  assert.equal(c.get('svc', T + 63).bits, 18);
  assert.deepEqual(c.get('other', T), { bits: 10, floorBits: 10, subPuzzles: 8 }, 'per protected service');
});
