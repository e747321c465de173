import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DecodeError } from '../errors.js';
import { decodeApiMessage, encodeApiMessage, fromBase64, toBase64 } from './api.js';
import { decodeAnswer, decodeChallenge, encodeAnswer, encodeHello, writeMacInput } from './challenge-packet.js';
import { endpoint, endpointFromText, serviceKey } from './endpoint.js';
import { CHALLENGE_SIZE, HELLO_SIZE, MAC_INPUT_SIZE } from './layout.js';
import { decodeEpochKeyRecord, decodePublicKeyRecord, decodeTenantKeyRecord, encodeEpochKeyRecord, encodePublicKeyRecord, encodeTenantKeyRecord } from './records.js';
import { assembleToken, decodeToken, encodeTokenClaims, TOKEN_SIZE } from './token.js';

const vectors = JSON.parse(readFileSync(new URL('../../vectors/challenge/v1.json', import.meta.url), 'utf8'));
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('proto challenge - vector challenges decode and their MAC input is 55 bytes', () => {
  for (const c of vectors.cases) {
    const fields = decodeChallenge(bytes(c.challenge));
    assert.notEqual(typeof fields, 'string', c.name);
    if (typeof fields === 'string') continue;
    assert.equal(fields.keyId, c.keyId);
    assert.equal(fields.issuedAt, c.issuedAt);
    assert.equal(fields.difficulty, c.difficulty);
    assert.equal(fields.subPuzzles, c.subPuzzles);
    assert.equal(hex(fields.tag), c.tag);
    const mac = new Uint8Array(MAC_INPUT_SIZE);
    writeMacInput(mac, bytes(c.challenge), endpointFromText(c.client), endpointFromText(c.target));
    assert.equal(hex(mac), c.macInput, c.name);
  }
});

test('proto challenge - answers encode byte for byte like the vectors and decode back', () => {
  for (const c of vectors.cases) {
    const payload = c.payload ? bytes(c.payload) : undefined;
    const answer = encodeAnswer(bytes(c.challenge), c.solutions, payload);
    assert.equal(hex(answer), c.answer, c.name);
    const back = decodeAnswer(answer);
    assert.notEqual(typeof back, 'string');
    if (typeof back === 'string') continue;
    assert.deepEqual([...back.solutions], c.solutions);
    assert.equal(hex(back.payload), c.payload ?? '');
  }
});

test('proto challenge - malformed packets decode to a problem string, never throw', () => {
  const c = bytes(vectors.cases[0].challenge);
  assert.equal(decodeChallenge(c.subarray(0, 10)), 'short');
  assert.equal(decodeAnswer(c), 'magic');
  const v2 = c.slice(); v2[4] = 2;
  assert.equal(decodeChallenge(v2), 'version');
  const d = c.slice(); d[13] = 200;
  assert.equal(decodeChallenge(d), 'difficulty');
  const s = c.slice(); s[14] = 3;
  assert.equal(decodeChallenge(s), 'sub_puzzles');
  assert.equal(decodeChallenge(new Uint8Array(0)), 'short');
});

test('proto challenge - hello is larger than any challenge', () => {
  assert.ok(HELLO_SIZE >= CHALLENGE_SIZE);
  assert.equal(encodeHello().length, HELLO_SIZE);
  assert.equal(encodeHello(100).length, 100);
});

test('proto challenge - token, epoch key and public key records round-trip', () => {
  const claims = { signingKeyId: 3, issuedAt: 10, expiresAt: 20, client: endpoint('2001:db8::1', 0), target: endpoint('10.0.0.1', 207) };
  const token = assembleToken(encodeTokenClaims(claims), new Uint8Array(64).fill(9));
  assert.equal(token.length, TOKEN_SIZE);
  const t = decodeToken(token);
  assert.equal(t.signingKeyId, 3);
  assert.equal(t.expiresAt, 20);
  assert.deepEqual([...t.client.address], [...claims.client.address]);
  assert.throws(() => decodeToken(token.subarray(1)), DecodeError);
  const epoch = { keyId: 5, notBefore: 1, notAfter: 2, acceptUntil: 3, key: new Uint8Array(32).fill(1) };
  assert.deepEqual(decodeEpochKeyRecord(encodeEpochKeyRecord(epoch)), epoch);
  const bad = encodeEpochKeyRecord({ ...epoch, notAfter: 9 });
  assert.throws(() => decodeEpochKeyRecord(bad), (e: DecodeError) => e.code === 'FS_ERR_PROTO_CHALLENGE_FIELD');
  const pk = { signingKeyId: 1, notAfter: 0, publicKey: new Uint8Array(32).fill(2) };
  assert.deepEqual(decodePublicKeyRecord(encodePublicKeyRecord(pk)), pk);
});

test('proto challenge - tenant HMAC key records round-trip; a wrong size, magic, version or name is refused', () => {
  const record = { tenant: 'arena-1', keyVersion: 1, key: new Uint8Array(32).fill(5) };
  const bytes = encodeTenantKeyRecord(record);
  assert.equal(bytes.length, 10 + 7 + 32);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'FSHK');
  const back = decodeTenantKeyRecord(bytes);
  assert.deepEqual({ ...back, key: [...back.key] }, { ...record, key: [...record.key] });
  const code = (mutate: (b: Uint8Array) => Uint8Array) => {
    try {
      decodeTenantKeyRecord(mutate(bytes.slice()));
      return 'accepted';
    } catch (e) {
      return (e as DecodeError).code;
    }
  };
  assert.equal(code((b) => b.subarray(0, b.length - 1)), 'FS_ERR_PROTO_CHALLENGE_SHORT');
  assert.equal(code((b) => { b[0] = 0; return b; }), 'FS_ERR_PROTO_CHALLENGE_MAGIC');
  assert.equal(code((b) => { b[4] = 99; return b; }), 'FS_ERR_PROTO_CHALLENGE_VERSION');
  assert.equal(code((b) => { b[10] = 0x20; return b; }), 'FS_ERR_PROTO_CHALLENGE_FIELD');
  assert.throws(() => encodeTenantKeyRecord({ ...record, tenant: 'a b' }), RangeError);
});

test('proto challenge - API messages carry a version and base64 fields', () => {
  const msg = { v: 1 as const, client: { address: '1.2.3.4', port: 1 }, target: { address: '::1', port: 2 }, answer: toBase64(new Uint8Array([0, 255, 7])) };
  const back = decodeApiMessage<typeof msg>(encodeApiMessage(msg));
  assert.deepEqual([...fromBase64(back.answer)], [0, 255, 7]);
  assert.throws(() => decodeApiMessage('{"v":2}'), DecodeError);
  assert.throws(() => decodeApiMessage('nope'), DecodeError);
  assert.match(serviceKey(endpoint('1.2.3.4', 207)), /^[0-9a-f]{32}-207$/);
});
