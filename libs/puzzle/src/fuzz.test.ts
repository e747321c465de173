import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeAnswer, VerifyReason } from '@flowshield/proto';
import { CLIENT, T0, TARGET, epochKey, makeEngine } from './fixtures.js';
import { solveChallenge } from './solver.js';

/** xorshift32: fast, seeded, reproducible; no need for crypto randomness to generate junk. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

test('puzzle fuzz - 1,000,000 random or mutated answers: none accepted', () => {
  const { engine, ring } = makeEngine();
  ring.upsert(epochKey(2, T0 - 5)); // two live keys, so key-id mutations sometimes land on a real key
  const next = rng(0x5eed);
  const ctx = { client: CLIENT, target: TARGET, floorBits: 0 };

  // Answers already accepted once: any mutation (solutions, payload, length included) must fail,
  // and the unmutated bytes must fail too (replay).
  const used: Uint8Array[] = [];
  // Answers never submitted: only the header is mutated (another valid proof of work would be a
  // legitimate answer), so every mutation must be caught by the format, key, time, binding or tag.
  const fresh: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) {
    for (const list of [used, fresh]) {
      const issued = engine.issue({ client: CLIENT, target: TARGET, triggerSize: 1200, difficulty: { bits: 2 + (i % 5), subPuzzles: 1 << (i % 4) } });
      assert.ok(issued.ok);
      if (!issued.ok) return;
      list.push(encodeAnswer(issued.packet, solveChallenge(issued.packet), i % 2 ? new Uint8Array(i) : undefined));
    }
  }
  for (const a of used) assert.equal(engine.verify(a, ctx).ok, true);

  const reasons = new Map<string, number>();
  const scratch = new Uint8Array(256);
  const N = 1_000_000;
  let accepted = 0;
  for (let n = 0; n < N; n++) {
    const kind = n % 20;
    let packet: Uint8Array;
    if (kind < 9) {
      // Mutations of used answers anywhere, including truncation and extension.
      const base = used[next() % used.length]!;
      const len = kind === 0 ? next() % (base.length + 8) : base.length;
      scratch.fill(0, 0, len);
      scratch.set(base.subarray(0, Math.min(len, base.length)));
      packet = scratch.subarray(0, len);
      const flips = 1 + (next() % 3);
      for (let f = 0; f < flips && len > 0; f++) packet[next() % len]! ^= 1 + (next() % 255);
    } else if (kind < 18) {
      // Header mutations of fresh answers; half of them aimed at the fields that reach the HMAC.
      const base = fresh[next() % fresh.length]!;
      scratch.set(base);
      packet = scratch.subarray(0, base.length);
      const at = kind < 13 ? 41 + (next() % 16) /* tag */ : next() % 57;
      packet[at]! ^= 1 + (next() % 255);
      const also = 9 + (next() % 4);
      if (next() % 4 === 0 && also !== at) packet[also]! ^= 1 << (next() % 8); // the issue time too (never undoing the first flip)
    } else {
      // Random bytes; half with a valid magic, version and live key id so they get past the cheap checks.
      const len = 57 + (next() % 80);
      packet = scratch.subarray(0, len);
      for (let i = 0; i < len; i += 4) {
        const r = next();
        packet[i] = r; packet[i + 1] = r >>> 8; packet[i + 2] = r >>> 16; packet[i + 3] = r >>> 24;
      }
      if (kind === 18) {
        packet.set([0x46, 0x53, 0x41, 0x4e, 1, 0, 0, 0, 1 + (next() & 1)], 0);
        packet.set([(T0 >>> 24) & 0xff, (T0 >>> 16) & 0xff, (T0 >>> 8) & 0xff, T0 & 0xff], 9);
        packet[13] = next() % 8;
        packet[14] = 1 << (next() % 5);
        packet.set(CLIENT.address, 23);
        packet.set([CLIENT.port >>> 8, CLIENT.port & 0xff], 39);
      }
    }
    const r = engine.verify(packet, ctx);
    if (r.ok) accepted++;
    else reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + 1);
  }
  assert.equal(accepted, 0);
  // The corpus must actually exercise the expensive checks, not just the format check.
  assert.ok((reasons.get(VerifyReason.BAD_TAG) ?? 0) > 100_000, `bad_tag only ${reasons.get(VerifyReason.BAD_TAG)}`);
  assert.ok((reasons.get(VerifyReason.REPLAYED) ?? 0) > 1000);
  assert.ok((reasons.get(VerifyReason.BAD_SOLUTION) ?? 0) > 1000);
  for (const r of [VerifyReason.MALFORMED, VerifyReason.UNKNOWN_KEY, VerifyReason.WRONG_ADDRESS, VerifyReason.WRONG_PORT]) {
    assert.ok((reasons.get(r) ?? 0) > 0, `no ${r}`);
  }
});
