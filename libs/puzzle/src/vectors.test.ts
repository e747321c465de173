import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { endpointFromText } from '@flowshield/proto';
import { PuzzleEngine } from './engine.js';
import { KeyRing } from './key-ring.js';
import { solveChallenge } from './solver.js';

// The same file the SDK tests against (sdk/client/src/vectors.test.ts).
const vectors = JSON.parse(readFileSync(new URL('../../proto/vectors/challenge/v1.json', import.meta.url), 'utf8'));
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function engineAt(nowSeconds: number, onlyKeyId?: number): PuzzleEngine {
  const ring = new KeyRing();
  for (const k of vectors.keys) if (onlyKeyId === undefined || k.keyId === onlyKeyId) ring.upsert({ ...k, key: bytes(k.key) });
  return new PuzzleEngine({ keyRing: ring, clock: () => nowSeconds * 1000, ...vectors.verifier });
}

test('puzzle vectors - issue with the vector nonce reproduces each challenge byte for byte', () => {
  for (const c of vectors.cases) {
    const engine = engineAt(c.issuedAt, c.keyId);
    const r = engine.issue({
      client: endpointFromText(c.client), target: endpointFromText(c.target), triggerSize: 1200,
      difficulty: { bits: c.difficulty + Math.log2(c.subPuzzles), subPuzzles: c.subPuzzles }, nonce: bytes(c.nonce),
    });
    assert.ok(r.ok, c.name);
    if (r.ok) assert.equal(hex(r.packet), c.challenge, c.name);
  }
});

test('puzzle vectors - the solver finds the vector solutions and the answers verify', () => {
  for (const c of vectors.cases) {
    assert.deepEqual([...solveChallenge(bytes(c.challenge))], c.solutions, c.name);
    const r = engineAt(c.issuedAt + 5).verify(bytes(c.answer), { client: endpointFromText(c.client), target: endpointFromText(c.target), floorBits: 0 });
    assert.equal(r.ok, true, c.name);
  }
});

test('puzzle vectors - every rejection vector gets its reason', () => {
  for (const v of vectors.rejections) {
    const r = engineAt(v.now).verify(bytes(v.answer), { client: endpointFromText(v.client), target: endpointFromText(v.target), floorBits: v.floorBits });
    assert.equal(r.ok ? 'ok' : r.reason, v.reason, v.name);
  }
  const rp = vectors.replay;
  const engine = engineAt(rp.now);
  const c = { client: endpointFromText(rp.client), target: endpointFromText(rp.target), floorBits: rp.floorBits };
  const first = engine.verify(bytes(rp.answer), c);
  const second = engine.verify(bytes(rp.answer), c);
  assert.equal(first.ok ? 'ok' : first.reason, rp.first);
  assert.equal(second.ok ? 'ok' : second.reason, rp.second);
});
