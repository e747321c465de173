import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeDeployment, encodeDeployment, deploymentKey, tenantOfKey, type TenantDeployment } from './deployment.js';
import { DecodeError } from '../errors.js';

const sample: TenantDeployment = {
  tenant: 'game-eu', version: 3, object: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 2, 3), sha256: 'ab'.repeat(32), section: '',
  failVerdict: 'drop', monitoring: false, budget: 100_000, deployedAt: 1_800_000_000_000, deployedBy: 'ops@laptop', rolledBackFrom: null,
};

test('deploy record - round trip and key names', () => {
  assert.deepEqual(decodeDeployment(encodeDeployment(sample)), sample);
  assert.deepEqual(decodeDeployment(encodeDeployment({ ...sample, rolledBackFrom: 4, monitoring: true })).rolledBackFrom, 4);
  assert.equal(deploymentKey('game-eu'), 'tenant.game-eu');
  assert.equal(tenantOfKey('tenant.game-eu'), 'game-eu');
  assert.equal(tenantOfKey('tenant.bad name'), null);
});

test('deploy record - malformed records are rejected with a code, never a crash', () => {
  const encoded = encodeDeployment(sample);
  assert.throws(() => decodeDeployment(new Uint8Array(0)), (e: unknown) => e instanceof DecodeError && e.code === 'FS_ERR_PROTO_DEPLOY_EMPTY');
  assert.throws(() => decodeDeployment(Uint8Array.of(9, ...encoded.subarray(1))), /version 9/);
  assert.throws(() => decodeDeployment(encodeDeployment({ ...sample, failVerdict: 'maybe' as 'drop' })), /failVerdict/);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
    try { decodeDeployment(bytes); } catch (err) { assert.ok(err instanceof DecodeError, String(err)); }
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.nat(encoded.length - 1), fc.integer({ min: 0, max: 255 }), (at, value) => {
    const bytes = encoded.slice();
    bytes[at] = value;
    try { decodeDeployment(bytes); } catch (err) { assert.ok(err instanceof DecodeError, String(err)); }
  }), { numRuns: 3000 });
});
