import assert from 'node:assert/strict';
import { platform } from 'node:os';
import { test } from 'node:test';
import { implementation, nativeUnavailableReason } from './index.js';
import { loadNative } from './load.js';

// A failed build must not fail `npm ci` (the twin runs), but CI must notice it.
test('udp-batch native - on Linux under CI the native addon is the one that runs', {
  skip: process.env.CI && platform() === 'linux' ? false : 'only asserted on Linux under CI (process.env.CI)',
}, () => {
  assert.equal(implementation, 'native', `native addon missing: ${nativeUnavailableReason}`);
  assert.equal(nativeUnavailableReason, null);
});

test('udp-batch native - FLOWSHIELD_UDP_BATCH=dgram asks for the twin and says so', () => {
  const r = loadNative({ FLOWSHIELD_UDP_BATCH: 'dgram' });
  assert.equal(r.binding, null);
  assert.match(r.reason ?? '', /FLOWSHIELD_UDP_BATCH=dgram/);
});
