import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CpuShare } from './cpu-share.js';

const ms = (n: number) => BigInt(n) * 1_000_000n;

test('cpu share - a tenant that overdraws its share is shed until it has refilled, and never saves up more than a second of it', () => {
  const share = new CpuShare(250e6, 0n); // 250 ms per second
  assert.equal(share.admit(0n), true);
  share.charge(ms(400)); // one batch overdraws: 150 ms in debt
  assert.equal(share.admit(ms(100)), false, 'refilled 25 ms of 150: still shed');
  assert.equal(share.admit(ms(599)), false, '149.75 ms back: still shed');
  assert.equal(share.admit(ms(601)), true, 'in credit again');
  // Idle for a minute: the balance is capped at one second of the share.
  share.admit(ms(60_601));
  share.charge(ms(251));
  assert.equal(share.admit(ms(60_601)), false);
});
