import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { TokenReason, assembleToken, encodeTokenClaims, endpoint, type TokenClaims } from '@flowshield/proto';
import { TokenVerifier } from './token-verifier.js';

const seed = new Uint8Array(32).fill(42);
const publicKey = ed25519.getPublicKey(seed);
const NOW = 1_800_000_000;
const client = endpoint('198.51.100.7', 40000);
const target = endpoint('203.0.113.5', 207);

function token(over: Partial<TokenClaims> = {}): Uint8Array {
  const claims = encodeTokenClaims({ signingKeyId: 1, issuedAt: NOW - 10, expiresAt: NOW + 600, client, target, ...over });
  return assembleToken(claims, ed25519.sign(claims, seed));
}

test('puzzle tokens - a token signed with @noble/curves verifies with public keys only', () => {
  const v = new TokenVerifier({ clock: () => NOW * 1000 });
  v.addPublicKey({ signingKeyId: 1, notAfter: 0, publicKey });
  const t = token();
  const r = v.verify(t, client, target);
  assert.equal(r.ok, true);
  // Both libraries agree on the signature.
  assert.equal(ed25519.verify(t.subarray(53), t.subarray(0, 53), publicKey), true);
  // Port 0 and target all-zero mean "any".
  assert.equal(v.verify(token({ client: endpoint('198.51.100.7', 0), target: endpoint('::', 0) }), endpoint('198.51.100.7', 1), endpoint('10.0.0.1', 5)).ok, true);
});

test('puzzle tokens - expired, wrong address, wrong port, wrong target, forged and unknown tokens are refused', () => {
  const v = new TokenVerifier({ clock: () => NOW * 1000 });
  v.addPublicKey({ signingKeyId: 1, notAfter: 0, publicKey });
  const reason = (bytes: Uint8Array, c = client, t = target) => { const r = v.verify(bytes, c, t); return r.ok ? 'ok' : r.reason; };
  assert.equal(reason(token({ expiresAt: NOW })), TokenReason.EXPIRED);
  assert.equal(reason(token({ issuedAt: NOW + 60 })), TokenReason.NOT_YET_VALID);
  assert.equal(reason(token(), endpoint('198.51.100.8', 40000)), TokenReason.WRONG_ADDRESS);
  assert.equal(reason(token(), endpoint('198.51.100.7', 40001)), TokenReason.WRONG_PORT);
  assert.equal(reason(token(), client, endpoint('203.0.113.5', 208)), TokenReason.WRONG_TARGET);
  assert.equal(reason(token({ signingKeyId: 2 })), TokenReason.UNKNOWN_SIGNER);
  const forged = token();
  forged[20]! ^= 1; // the client address inside the signed part
  assert.equal(reason(forged, { address: forged.subarray(17, 33), port: client.port }), TokenReason.BAD_SIGNATURE);
  assert.equal(reason(forged.subarray(0, 50)), TokenReason.MALFORMED);
  v.removePublicKey(1);
  assert.equal(reason(token()), TokenReason.UNKNOWN_SIGNER);
});
