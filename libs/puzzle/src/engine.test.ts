import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CHALLENGE_SIZE, IssueRefusal, VerifyReason, encodeAnswer, endpoint } from '@flowshield/proto';
import { ChallengeLimiter } from './challenge-limiter.js';
import { splitDifficulty } from './engine.js';
import { CLIENT, T0, TARGET, epochKey, makeEngine } from './fixtures.js';
import { solveChallenge } from './solver.js';

const EASY = { bits: 6, subPuzzles: 4 };

function issueAndSolve(engine: ReturnType<typeof makeEngine>['engine'], difficulty = EASY, payload?: Uint8Array) {
  const issued = engine.issue({ client: CLIENT, target: TARGET, triggerSize: 1200, difficulty });
  assert.ok(issued.ok, 'issue refused');
  if (!issued.ok) throw new Error('unreachable');
  return { challenge: issued.packet, answer: encodeAnswer(issued.packet, solveChallenge(issued.packet), payload) };
}

const ctx = (over: Partial<{ client: typeof CLIENT; target: typeof TARGET; floorBits: number }> = {}) => ({ client: CLIENT, target: TARGET, floorBits: 0, ...over });

test('puzzle engine - round trip issue → solve → verify, payload after the answer', () => {
  const { engine } = makeEngine();
  const payload = new TextEncoder().encode('first game packet');
  const { answer } = issueAndSolve(engine, EASY, payload);
  const result = engine.verify(answer, ctx({ floorBits: 6 }));
  assert.deepEqual(result, { ok: true, keyId: 1, effectiveBits: 6, payloadOffset: 57 + 16 });
  if (result.ok) assert.equal(new TextDecoder().decode(answer.subarray(result.payloadOffset)), 'first game packet');
});

test('puzzle engine - IPv6 client and target round trip', () => {
  const { engine } = makeEngine();
  const client = endpoint('2001:db8::42', 61000);
  const target = endpoint('2001:db8:1::5', 27015);
  const issued = engine.issue({ client, target, triggerSize: 100, difficulty: { bits: 5, subPuzzles: 2 } });
  assert.ok(issued.ok);
  if (!issued.ok) return;
  const answer = encodeAnswer(issued.packet, solveChallenge(issued.packet));
  assert.equal(engine.verify(answer, { client, target, floorBits: 5 }).ok, true);
  assert.deepEqual(engine.verify(answer, { client: CLIENT, target, floorBits: 0 }), { ok: false, reason: VerifyReason.WRONG_ADDRESS });
});

test('puzzle engine - each rejection has its own reason code', () => {
  const { engine, clock, ring } = makeEngine();
  const reject = (answer: Uint8Array, c = ctx()) => {
    const r = engine.verify(answer, c);
    return r.ok ? 'ok' : r.reason;
  };
  const fresh = () => issueAndSolve(engine).answer;

  assert.equal(reject(fresh(), ctx({ client: endpoint('198.51.100.8', CLIENT.port) })), VerifyReason.WRONG_ADDRESS);
  assert.equal(reject(fresh(), ctx({ client: endpoint('198.51.100.7', CLIENT.port + 1) })), VerifyReason.WRONG_PORT);
  assert.equal(reject(fresh(), ctx({ target: endpoint('203.0.113.5', 208) })), VerifyReason.BAD_TAG);

  const tampered = fresh();
  tampered[41 + 3]! ^= 0x10;
  assert.equal(reject(tampered), VerifyReason.BAD_TAG);

  const cheaper = fresh();
  cheaper[13] = 0; // claims zero difficulty: the tag covers it
  assert.equal(reject(cheaper), VerifyReason.BAD_TAG);

  const unknownKey = fresh();
  unknownKey[8]! ^= 1;
  assert.equal(reject(unknownKey), VerifyReason.UNKNOWN_KEY);

  assert.equal(reject(fresh(), ctx({ floorBits: 7 })), VerifyReason.DIFFICULTY_BELOW_FLOOR);

  // Change sub-puzzle 0's solution. Another value also meets the work with probability 2^-bits; a
  // challenge that happens to still verify is consumed, so try a fresh one (never many times).
  for (let attempt = 0; ; attempt++) {
    const wrongSolution = fresh();
    const view = new DataView(wrongSolution.buffer, wrongSolution.byteOffset);
    view.setUint32(57, (view.getUint32(57) + 1) >>> 0);
    const r = engine.verify(wrongSolution, ctx());
    if (!r.ok) { assert.equal(r.reason, VerifyReason.BAD_SOLUTION); break; }
    assert.ok(attempt < 20, 'mutated solutions keep verifying');
  }

  const replayed = fresh();
  assert.equal(reject(replayed), 'ok');
  assert.equal(reject(replayed), VerifyReason.REPLAYED);
  assert.equal(reject(replayed.slice(0, 60)), VerifyReason.MALFORMED);

  const later = fresh();
  clock.advanceSeconds(engine.validitySeconds + 1);
  assert.equal(reject(later), VerifyReason.EXPIRED);

  // Future-dated: issued by an edge whose clock runs ahead of ours.
  ring.upsert(epochKey(2, T0 + 20));
  clock.ms = (T0 + 40) * 1000;
  const ahead = fresh();
  clock.ms = (T0 + 40 - engine.futureSkewSeconds - 1) * 1000;
  assert.equal(reject(ahead), VerifyReason.FUTURE);

  const distinct = new Set(Object.values(VerifyReason));
  assert.equal(distinct.size, Object.keys(VerifyReason).length);
});

test('puzzle engine - answers to challenges issued just before a key rotation still verify', () => {
  const { engine, clock, ring } = makeEngine();
  // Epoch 1 runs [T0-10, T0+50); epoch 2 takes over at T0+50.
  ring.upsert(epochKey(2, T0 + 50));
  clock.ms = (T0 + 49) * 1000 + 999;
  const before = issueAndSolve(engine);
  assert.equal(before.challenge[8], 1, 'issued under epoch 1');
  clock.ms = (T0 + 50) * 1000;
  const after = issueAndSolve(engine);
  assert.equal(after.challenge[8], 2, 'issued under epoch 2');
  clock.advanceSeconds(25);
  assert.equal(engine.verify(before.answer, ctx()).ok, true, 'previous epoch still accepted');
  assert.equal(engine.verify(after.answer, ctx()).ok, true);
  // Once the previous epoch's acceptance window is over and it is pruned, its answers are unknown.
  clock.ms = (T0 + 111) * 1000;
  assert.deepEqual(ring.prune(engine.nowSeconds()), [1]);
  assert.deepEqual(engine.verify(before.answer, ctx()), { ok: false, reason: VerifyReason.UNKNOWN_KEY });
});

test('puzzle engine - a challenge is never larger than its trigger packet', () => {
  const { engine } = makeEngine();
  fc.assert(fc.property(fc.integer({ min: 0, max: 1500 }), fc.constantFrom(1, 2, 4, 8, 16), fc.integer({ min: 0, max: 20 }), (triggerSize, subPuzzles, bits) => {
    const r = engine.issue({ client: CLIENT, target: TARGET, triggerSize, difficulty: { bits, subPuzzles } });
    if (r.ok) return r.packet.length <= triggerSize;
    return r.reason === IssueRefusal.TRIGGER_TOO_SMALL && triggerSize < CHALLENGE_SIZE;
  }), { numRuns: 2000 });
});

test('puzzle engine - token buckets limit challenges per source and per source prefix', () => {
  const limiter = new ChallengeLimiter({ perSource: { perSecond: 1, burst: 2 }, perPrefix: { perSecond: 1, burst: 3 }, seed: 1 });
  const { engine, clock } = makeEngine({ limiter });
  const issue = (address: string) => {
    const r = engine.issue({ client: endpoint(address, 1000), target: TARGET, triggerSize: 100, difficulty: EASY });
    return r.ok ? 'ok' : r.reason;
  };
  assert.equal(issue('192.0.2.1'), 'ok');
  assert.equal(issue('192.0.2.1'), 'ok');
  assert.equal(issue('192.0.2.1'), IssueRefusal.RATE_LIMITED_SOURCE);
  assert.equal(issue('192.0.2.2'), 'ok');
  assert.equal(issue('192.0.2.3'), IssueRefusal.RATE_LIMITED_PREFIX, 'the /24 is out of tokens');
  assert.equal(issue('192.0.3.3'), 'ok', 'another /24 is unaffected');
  clock.advanceSeconds(1);
  assert.equal(issue('192.0.2.3'), 'ok', 'tokens refill with time');
});

test('puzzle engine - prefix lengths are settings: /48 for IPv6 by default, any length for either family', () => {
  const at = (address: string) => endpoint(address, 1).address;
  const v6 = new ChallengeLimiter({ perSource: { perSecond: 1, burst: 100 }, perPrefix: { perSecond: 0.001, burst: 2 }, seed: 3 });
  assert.equal(v6.admit(at('2001:db8:1:1::1'), TARGET.address, 0), null);
  assert.equal(v6.admit(at('2001:db8:1:ffff::2'), TARGET.address, 0), null);
  assert.equal(v6.admit(at('2001:db8:1:8000::3'), TARGET.address, 0), IssueRefusal.RATE_LIMITED_PREFIX, 'one /48');
  assert.equal(v6.admit(at('2001:db8:2::1'), TARGET.address, 0), null, 'the next /48');
  const v4 = new ChallengeLimiter({ perSource: { perSecond: 1, burst: 100 }, perPrefix: { perSecond: 0.001, burst: 1 }, prefixBits: { v4: 20, v6: 48 }, seed: 4 });
  assert.equal(v4.admit(at('192.0.16.1'), TARGET.address, 0), null);
  assert.equal(v4.admit(at('192.0.31.1'), TARGET.address, 0), IssueRefusal.RATE_LIMITED_PREFIX, '192.0.16.0/20 holds 192.0.31.1');
  assert.equal(v4.admit(at('192.0.32.1'), TARGET.address, 0), null, 'another /20');
  assert.throws(() => new ChallengeLimiter({ prefixBits: { v4: 33, v6: 48 } }), RangeError);
});

test('puzzle engine - a token bucket caps challenges sent on behalf of one protected network', () => {
  const limiter = new ChallengeLimiter({ perTarget: { perSecond: 1, burst: 3 }, seed: 2 });
  const { engine } = makeEngine({ limiter });
  const issue = (address: string, target = TARGET) => {
    const r = engine.issue({ client: endpoint(address, 1000), target, triggerSize: 100, difficulty: EASY });
    return r.ok ? 'ok' : r.reason;
  };
  assert.deepEqual(['10.0.0.1', '10.1.0.1', '10.2.0.1', '10.3.0.1'].map((a) => issue(a)), ['ok', 'ok', 'ok', IssueRefusal.RATE_LIMITED_TARGET]);
  assert.equal(issue('10.4.0.1', endpoint('198.18.0.1', 207)), 'ok', 'another protected network has its own bucket');
});

test('puzzle engine - no current key means no challenge', () => {
  const { engine, clock } = makeEngine();
  clock.advanceSeconds(3600);
  assert.deepEqual(engine.issue({ client: CLIENT, target: TARGET, triggerSize: 100, difficulty: EASY }), { ok: false, reason: IssueRefusal.NO_CURRENT_KEY });
});

test('puzzle engine - total work is split over sub-puzzles', () => {
  assert.deepEqual(splitDifficulty({ bits: 16, subPuzzles: 8 }), { difficulty: 13, subPuzzles: 8 });
  assert.deepEqual(splitDifficulty({ bits: 2, subPuzzles: 8 }), { difficulty: 0, subPuzzles: 4 });
  assert.deepEqual(splitDifficulty({ bits: 0, subPuzzles: 16 }), { difficulty: 0, subPuzzles: 1 });
  assert.throws(() => splitDifficulty({ bits: 8, subPuzzles: 3 }), /subPuzzles/);
});
