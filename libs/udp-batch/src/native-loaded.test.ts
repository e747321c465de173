import assert from 'node:assert/strict';
import { platform } from 'node:os';
import { test } from 'node:test';
import { implementation, nativeUnavailableReason } from './index.js';

// A failed build must not fail `npm ci` (the twin runs), but CI must notice it.
test('udp-batch native - on Linux under CI the native addon is the one that runs', {
  skip: process.env.CI && platform() === 'linux' ? false : 'only asserted on Linux under CI (process.env.CI)',
}, () => {
  assert.equal(implementation, 'native', `native addon missing: ${nativeUnavailableReason}`);
  assert.equal(nativeUnavailableReason, null);
});
