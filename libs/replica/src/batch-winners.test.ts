import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { StatusEvent } from '@flowshield/proto';
import { BatchWinners } from './batch-winners.js';
import { statusKey } from './layout.js';
import { compareEvents, supersedes } from './merge.js';

/** Addresses around the IPv4-mapped block: below it (::1), in it, and above it (2001:db8::/32). */
const ipArb = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, a, b)),
  fc.nat(255).map((a) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, 255, 255, a)),
  fc.nat(3).map((a) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a)),
  fc.nat(3).map((a) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 1, 2, 3, a)),
  fc.tuple(fc.nat(255), fc.nat(255)).map(([a, b]) => Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, a, b)),
);

const eventArb: fc.Arbitrary<StatusEvent> = fc.record({
  // '\uD800' and '\uDC00' encode alike (U+FFFD): one key, whichever spelling an event carries
  tenant: fc.constantFrom('acme', 'globex', 'a', 'zz', 'ünï', '\uD800', '\uDC00'),
  ip: ipArb,
  prevStatus: fc.constant(0),
  status: fc.constantFrom(1, 2, 3),
  expiry: fc.constant(0),
  hlcWall: fc.integer({ min: 1, max: 4 }),
  hlcLogical: fc.constant(0),
  edgeId: fc.constantFrom('edge-a', 'edge-b'),
  seq: fc.integer({ min: 1, max: 50 }),
  reason: fc.constant(0),
  programVersion: fc.constant(1),
}) as fc.Arbitrary<StatusEvent>;

test('batch winners - one winner per (tenant, IP), in the byte order of their LMDB keys, as a sort of the keys gives', () => {
  const winners = new BatchWinners();
  fc.assert(fc.property(fc.array(eventArb, { maxLength: 200 }), (events) => {
    // The reference: every key as bytes, the winner by the merge rule, keys sorted bytewise.
    const byKey = new Map<string, { key: Buffer; event: StatusEvent }>();
    for (const e of events) {
      const key = statusKey(e.tenant, e.ip);
      const id = key.toString('latin1');
      const seen = byKey.get(id);
      if (seen === undefined || supersedes(e, seen.event)) byKey.set(id, { key, event: e });
    }
    const expected = [...byKey.values()].sort((a, b) => Buffer.compare(a.key, b.key)).map((w) => w.event);
    for (const e of events) winners.add(e);
    assert.equal(winners.size, byKey.size);
    const ordered = winners.ordered();
    assert.deepEqual(ordered.events, expected);
    // Each winner's key as it writes it, without the event's bytes for IPv4-mapped sources.
    const scratch = Buffer.alloc(300);
    ordered.events.forEach((e, i) => {
      const length = ordered.writeKey(i, scratch);
      assert.deepEqual(scratch.subarray(0, length), statusKey(e.tenant, e.ip));
    });
    // The batch's least and greatest events, by the merge order.
    const sorted = [...events].sort(compareEvents);
    assert.equal(ordered.bottom === null ? null : compareEvents(ordered.bottom, sorted[0]!), events.length ? 0 : null);
    assert.equal(ordered.top === null ? null : compareEvents(ordered.top, sorted.at(-1)!), events.length ? 0 : null);
    winners.clear();
    assert.equal(winners.size, 0);
    assert.deepEqual(winners.ordered().events, []);
    assert.equal(winners.ordered().top, null);
  }), { numRuns: 300 });
});
