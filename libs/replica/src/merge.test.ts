import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ipToBytes16, type StatusEvent } from '@flowshield/proto';
import { open } from 'lmdb';
import { compareEvents } from './merge.js';
import { ReplicaWriter } from './writer.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';

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

/** The merge rule applied in memory: the greatest event per key. */
function fold(events: readonly StatusEvent[]): Map<string, StatusEvent> {
  const out = new Map<string, StatusEvent>();
  for (const e of events) {
    const id = `${e.tenant}/${[...e.ip].join('.')}`;
    const seen = out.get(id);
    if (!seen || compareEvents(e, seen) > 0) out.set(id, e);
  }
  return out;
}

test('replica - registers equal the in-memory fold, whichever keys skip the read, and the mark is the greatest event merged', () => {
  const root = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  let run = 0;
  try {
    fc.assert(fc.property(
      fc.array(eventArb, { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 6 }),
      (events, sizes) => {
        const w = ReplicaWriter.open(join(root, `m${run++}`));
        try {
          let merged: StatusEvent[] = [];
          for (const part of chunk(events, sizes)) {
            const before = w.highWaterMark();
            const result = w.merge({ stream: 'S', lastSequence: 0, messages: 1, events: part });
            // An unread write is exactly a key whose winner in the batch is above the mark before it.
            const above = [...fold(part).values()].filter((e) => before === null || compareEvents(e, before) > 0).length;
            assert.equal(result.unread, above);
            merged = [...merged, ...part];
          }
          const expected = fold(merged);
          for (const e of expected.values()) assert.deepEqual({ ...w.get(e.tenant, e.ip) }, { ...e }); // fc records have no prototype
          assert.equal(w.digest().entries, expected.size);
          const top = merged.reduce((a, b) => (compareEvents(b, a) > 0 ? b : a));
          assert.deepEqual(w.highWaterMark(), { hlcWall: top.hlcWall, hlcLogical: top.hlcLogical, edgeId: top.edgeId, seq: top.seq });
        } finally {
          void w.close();
        }
      },
    ), { numRuns: 80 });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('replica - the read is skipped only above the high-water mark; the mark survives reopening and is rebuilt for a replica without one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  const at = (hlcWall: number, ip: Uint8Array, over: Partial<StatusEvent> = {}): StatusEvent =>
    ({ tenant: 't', ip, prevStatus: 0, status: 1, expiry: 0, hlcWall, hlcLogical: 0, edgeId: 'edge-a', seq: hlcWall, reason: 0, programVersion: 1, ...over });
  try {
    let w = ReplicaWriter.open(dir);
    assert.equal(w.highWaterMark(), null, 'a fresh replica has no mark');
    assert.deepEqual(w.merge({ stream: 'S', lastSequence: 1, messages: 1, events: [at(10, IPS[0]!), at(20, IPS[1]!)] }), { changed: 2, ignored: 0, unread: 2 });
    // Below the mark: a late event for a known key (loses), one for a new key (wins), both read.
    assert.deepEqual(w.merge({ stream: 'S', lastSequence: 2, messages: 1, events: [at(5, IPS[0]!), at(15, IPS[2]!)] }), { changed: 1, ignored: 1, unread: 0 });
    assert.equal(w.get('t', IPS[0]!)?.hlcWall, 10);
    // The mark itself delivered again is read and ignored: equal is not above.
    assert.deepEqual(w.merge({ stream: 'S', lastSequence: 3, messages: 1, events: [at(20, IPS[1]!)] }), { changed: 0, ignored: 1, unread: 0 });
    // Same HLC, higher edge id: above the mark, written unread.
    assert.deepEqual(w.merge({ stream: 'S', lastSequence: 4, messages: 1, events: [at(20, IPS[0]!, { edgeId: 'edge-b', status: 3 })] }), { changed: 1, ignored: 0, unread: 1 });
    assert.equal(w.get('t', IPS[0]!)?.status, 3);
    const digest = w.digest();
    await w.close();

    w = ReplicaWriter.open(dir);
    assert.deepEqual(w.highWaterMark(), { hlcWall: 20, hlcLogical: 0, edgeId: 'edge-b', seq: 20 });
    await w.close();
    // A replica written before the mark existed: the mark is rebuilt from its registers.
    const root = open({ path: dir, maxDbs: 4 });
    await root.openDB('meta', {}).remove('highWater');
    await root.close();
    w = ReplicaWriter.open(dir);
    try {
      assert.deepEqual(w.highWaterMark(), { hlcWall: 20, hlcLogical: 0, edgeId: 'edge-b', seq: 20 });
      assert.deepEqual(w.digest(), digest, 'the mark lives in meta, outside the digest');
      assert.deepEqual(w.sequences(), { S: 4 });
    } finally {
      await w.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replica - a commit that does not continue from the recorded sequence stores nothing, synchronous or not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  const w = ReplicaWriter.open(dir);
  try {
    const base: StatusEvent = { tenant: 't', ip: IPS[0]!, prevStatus: 0, status: 1, expiry: 0, hlcWall: 10, hlcLogical: 0, edgeId: 'edge-a', seq: 1, reason: 0, programVersion: 1 };
    w.merge({ stream: 'S', lastSequence: 3, messages: 3, events: [base], after: 0 });
    const skipping = { stream: 'S', lastSequence: 9, messages: 3, events: [{ ...base, ip: IPS[1]!, seq: 2, hlcWall: 11 }], after: 6 };
    assert.throws(() => w.merge(skipping), (err: ReplicaError) => err.code === ReplicaErrorCode.SEQUENCE && /recorded S sequence 3/.test(err.message));
    await assert.rejects(w.mergeAsync(skipping), (err: ReplicaError) => err.code === ReplicaErrorCode.SEQUENCE);
    assert.equal(w.get('t', IPS[1]!), undefined);
    assert.deepEqual(w.sequences(), { S: 3 });
    assert.deepEqual(w.counters(), { appliedEvents: 1, appliedMessages: 3, ignoredEvents: 0 });
    await w.mergeAsync({ ...skipping, lastSequence: 6, after: 3 });
    assert.equal(w.get('t', IPS[1]!)?.status, 1);
    assert.deepEqual(w.sequences(), { S: 6 });
    // reopened (what the state service does after LMDB refuses a commit): the same replica, writable
    const mark = w.highWaterMark();
    await w.reopen();
    assert.deepEqual(w.highWaterMark(), mark);
    await w.mergeAsync({ ...skipping, lastSequence: 7, messages: 1, events: [{ ...base, ip: IPS[2]!, seq: 3, hlcWall: 12 }], after: 6 });
    assert.deepEqual(w.sequences(), { S: 7 });
    assert.equal(w.get('t', IPS[2]!)?.status, 1);
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
