import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipToBytes16, type StatusEvent } from '@flowshield/proto';
import { ReplicaWriter } from './writer.js';

const IPS = ['10.0.0.1', '10.0.0.2', '2001:db8::7'].map(ipToBytes16);

/** Small value spaces on purpose, so events collide on key and on HLC and the tie-breaks matter. */
const eventArb: fc.Arbitrary<StatusEvent> = fc.record({
  tenant: fc.constantFrom('acme', 'globex'),
  ip: fc.constantFrom(...IPS),
  prevStatus: fc.constantFrom(0, 1, 2, 3),
  status: fc.constantFrom(0, 1, 2, 3),
  expiry: fc.constantFrom(0, 100, 2_000_000_000),
  hlcWall: fc.integer({ min: 1_000, max: 1_004 }),
  hlcLogical: fc.integer({ min: 0, max: 2 }),
  edgeId: fc.constantFrom('edge-a', 'edge-b', 'edge-c'),
  seq: fc.integer({ min: 1, max: 1_000_000 }),
  reason: fc.constantFrom(0, 1, 3),
  programVersion: fc.constantFrom(1, 2),
}) as fc.Arbitrary<StatusEvent>;

function chunk<T>(items: T[], sizes: number[]): T[][] {
  const out: T[][] = [];
  let i = 0, s = 0;
  while (i < items.length) {
    const n = Math.max(1, sizes[s++ % sizes.length]!);
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}

test('replica - the same events in any order, batching and duplication give the same digest', () => {
  const root = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  let run = 0;
  try {
    fc.assert(fc.property(
      fc.array(eventArb, { minLength: 1, maxLength: 40 }),
      fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
      (events, dupPicks, sizesA, sizesB) => {
        // Second arrival order: shuffled by picks, with some events delivered twice.
        const dups = dupPicks.map((p) => events[p % events.length]!);
        const other = [...events, ...dups].map((e, i) => ({ e, k: (i * 7919 + (dupPicks[i % dupPicks.length] ?? 0)) % 1009 }))
          .sort((a, b) => a.k - b.k).map((x) => x.e);
        const a = ReplicaWriter.open(join(root, `a${run}`));
        const b = ReplicaWriter.open(join(root, `b${run}`));
        run++;
        try {
          for (const part of chunk(events, sizesA)) a.merge({ stream: 'S', lastSequence: 0, messages: 1, events: part });
          for (const part of chunk(other, sizesB)) b.merge({ stream: 'S', lastSequence: 0, messages: 1, events: part });
          assert.deepEqual(a.digest(), b.digest());
        } finally {
          void a.close();
          void b.close();
        }
      },
    ), { numRuns: 60 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('replica - a later HLC wins, ties go to the higher edge id', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  const w = ReplicaWriter.open(dir);
  try {
    const base: StatusEvent = { tenant: 't', ip: IPS[0]!, prevStatus: 0, status: 1, expiry: 0, hlcWall: 10, hlcLogical: 0, edgeId: 'edge-b', seq: 1, reason: 0, programVersion: 1 };
    w.merge({ stream: 'S', lastSequence: 1, messages: 1, events: [base] });
    w.merge({ stream: 'S', lastSequence: 2, messages: 1, events: [{ ...base, status: 3, edgeId: 'edge-a', seq: 5 }] });
    assert.equal(w.get('t', IPS[0]!)?.status, 1, 'edge-a < edge-b at the same HLC');
    w.merge({ stream: 'S', lastSequence: 3, messages: 1, events: [{ ...base, status: 2, hlcLogical: 1, edgeId: 'edge-a', seq: 6 }] });
    assert.equal(w.get('t', IPS[0]!)?.status, 2);
    assert.deepEqual(w.counters(), { appliedEvents: 3, appliedMessages: 3, ignoredEvents: 1 });
    assert.deepEqual(w.sequences(), { S: 3 });
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
