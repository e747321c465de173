import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { pack } from 'msgpackr';
import {
  checkDeploymentSignature, decodeDeployment, deploymentSigningBytes, encodeDeployment, deploymentKey, signDeployment, tenantOfKey, type TenantDeployment,
} from './deployment.js';
import { OperatorKeySet, OperatorSigner, publicKeyFromText } from '../signing/operator-key.js';
import { DecodeError } from '../errors.js';

const sample: TenantDeployment = {
  tenant: 'game-eu', version: 3, object: Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 2, 3), sha256: 'ab'.repeat(32), section: '',
  failVerdict: 'drop', monitoring: false, budget: 100_000, deployedAt: 1_800_000_000_000, deployedBy: 'ops@laptop', rolledBackFrom: null, signature: null,
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

test('deploy record - records written before signing decode with signature null', () => {
  const { signature: _s, ...old } = sample;
  const bytes = Uint8Array.of(1, ...pack({ ...old, object: Buffer.from(old.object) }));
  assert.equal(decodeDeployment(bytes).signature, null);
  assert.throws(() => decodeDeployment(Uint8Array.of(1, ...pack({ ...old, object: Buffer.from(old.object), signature: { publicKey: Buffer.alloc(3), value: Buffer.alloc(64) } }))), /field signature/);
});

test('deploy record - signed by the operator: verifies after a round trip; any changed field, another key or none is refused', () => {
  const { signer } = OperatorSigner.generate();
  const other = OperatorSigner.generate().signer;
  const trusted = new OperatorKeySet([signer.publicKeyText]);
  const signed = decodeDeployment(encodeDeployment(signDeployment(sample, signer)));
  assert.deepEqual(signed.signature!.publicKey, signer.publicKey);
  assert.equal(checkDeploymentSignature(signed, trusted), 'ok');
  assert.equal(checkDeploymentSignature(sample, trusted), 'unsigned');
  assert.equal(checkDeploymentSignature(signDeployment(sample, other), trusted), 'bad_signature');
  assert.equal(checkDeploymentSignature(signed, new OperatorKeySet([])), 'bad_signature');
  const changes: Partial<TenantDeployment>[] = [
    { tenant: 'game-us' }, { version: 4 }, { sha256: 'cd'.repeat(32) }, { section: 'other' }, { failVerdict: 'pass' }, { monitoring: true },
    { budget: 100_001 }, { deployedAt: 1 }, { deployedBy: 'someone' }, { rolledBackFrom: 2 },
  ];
  for (const change of changes) assert.equal(checkDeploymentSignature({ ...signed, ...change }, trusted), 'bad_signature', JSON.stringify(change));
  // The object is covered through sha256 (the edge checks the object against it), not signed twice.
  assert.equal(checkDeploymentSignature({ ...signed, object: Uint8Array.of(1) }, trusted), 'ok');
  const flipped = signed.signature!.value.slice();
  flipped[0]! ^= 1;
  assert.equal(checkDeploymentSignature({ ...signed, signature: { ...signed.signature!, value: flipped } }, trusted), 'bad_signature');
});

test('deploy record - the signed bytes: fixed layout, tagged with their kind and layout version', () => {
  const bytes = deploymentSigningBytes(sample);
  assert.equal(Buffer.from(bytes.subarray(0, 4)).toString(), 'FSSG');
  assert.equal(bytes[4], 1);
  assert.equal(Buffer.from(bytes.subarray(6, 6 + bytes[5]!)).toString(), 'deployment');
  // 4 magic + 1 + 1 + 10 kind + (4+7) tenant + 8 + 32 + 4 section + 1 + 1 + 8 + 8 + (4+10) deployedBy + 9
  assert.equal(bytes.length, 4 + 1 + 1 + 10 + 11 + 8 + 32 + 4 + 1 + 1 + 8 + 8 + 14 + 9);
  assert.deepEqual(deploymentSigningBytes({ ...sample, object: Uint8Array.of(9) } as TenantDeployment), bytes);
  assert.throws(() => publicKeyFromText('ed25519:zz'), /64 lower-case hex/);
  assert.throws(() => OperatorSigner.fromPem('nope'), /not a PEM private key/);
});
