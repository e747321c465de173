import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryState } from '@flowshield/vm';
import { DryRunState } from './dry-run-state.js';

const ip = (last: number) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, last);

test('dry-run state - reads through to the real state, keeps its own writes, changes nothing underneath', () => {
  const real = new InMemoryState();
  real.setStatus(ip(1), { status: 2, expiry: 0 });
  real.setIpData(ip(1), 7n);
  real.setFlowData('f', 8n);
  const dry = new DryRunState(real);
  assert.deepEqual(dry.getStatus(ip(1), 100), { status: 2, expiry: 0 });
  assert.equal(dry.getIpData(ip(1)), 7n);
  assert.equal(dry.getFlowData('f'), 8n);

  dry.setStatus(ip(1), { status: 3, expiry: 160 });
  dry.setStatus(ip(2), { status: 1, expiry: 160 });
  dry.setIpData(ip(1), 9n);
  dry.setFlowData('f', 10n);
  assert.equal(dry.getStatus(ip(1), 100)?.status, 3, 'its own write first');
  assert.equal(dry.getStatus(ip(2), 100)?.status, 1);
  assert.equal(dry.getStatus(ip(2), 160), undefined, 'its own entries expire');
  assert.equal(dry.getIpData(ip(1)), 9n);
  assert.equal(dry.getFlowData('f'), 10n);

  assert.deepEqual(real.getStatus(ip(1), 100), { status: 2, expiry: 0 });
  assert.equal(real.getStatus(ip(2), 100), undefined);
  assert.equal(real.getIpData(ip(1)), 7n);
  assert.equal(real.getFlowData('f'), 8n);
});
