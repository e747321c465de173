import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { decodeChallenge, encodeAnswer, isChallengePacket } from '@flowshield/proto';
import { InlineSolver, WorkerSolver } from './worker-solver.js';

// The same file the engine tests against (libs/puzzle/src/vectors.test.ts).
const vectors = JSON.parse(readFileSync(new URL('../../../libs/proto/vectors/challenge/v1.json', import.meta.url), 'utf8'));
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('sdk vectors - the worker solver answers every vector challenge byte for byte', async () => {
  const solver = new WorkerSolver();
  try {
    for (const c of vectors.cases) {
      const challenge = bytes(c.challenge);
      assert.equal(isChallengePacket(challenge), true);
      assert.notEqual(typeof decodeChallenge(challenge), 'string');
      const r = await solver.solve(challenge, () => {});
      assert.deepEqual([...r.solutions], c.solutions, c.name);
      assert.equal(hex(encodeAnswer(challenge, r.solutions, c.payload ? bytes(c.payload) : undefined)), c.answer, c.name);
    }
  } finally {
    await solver.close();
  }
});

test('sdk vectors - the inline solver agrees with the worker', async () => {
  const solver = new InlineSolver();
  for (const c of vectors.cases) assert.deepEqual([...(await solver.solve(bytes(c.challenge), () => {})).solutions], c.solutions, c.name);
});

test('sdk vectors - answers and other packets are not taken for challenges', () => {
  for (const c of vectors.cases) assert.equal(isChallengePacket(bytes(c.answer)), false);
  for (const r of vectors.rejections) {
    const b = bytes(r.answer);
    if (isChallengePacket(b)) assert.equal(typeof decodeChallenge(b), 'object', r.name);
  }
});
