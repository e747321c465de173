import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LruTable } from './lru-table.js';
import { StatusTable, U64Table } from './state-tables.js';

/** The reference: an LRU as a Map in recency order (oldest first), the obvious way. */
class ModelLru {
  readonly map = new Map<string, number>();
  constructor(readonly capacity: number) {}
  get(k: string): boolean {
    const v = this.map.get(k);
    if (v === undefined) return false;
    this.map.delete(k);
    this.map.set(k, v);
    return true;
  }
  /** the key evicted, if any */
  add(k: string): string | null {
    let evicted: string | null = null;
    if (this.map.size >= this.capacity) {
      evicted = this.map.keys().next().value!;
      this.map.delete(evicted);
    }
    this.map.set(k, 0);
    return evicted;
  }
}

const KEY_BYTES = 3;
const keyOf = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, 7);
const hex = (k: Uint8Array) => Buffer.from(k).toString('hex');

const op = fc.oneof(
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('upsert' as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 40 }) }),
);

test('lru table - behaves like a reference LRU under random get/insert/delete; never over capacity', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 400 }), (capacity, ops) => {
      const evicted: string[] = [];
      const table = new LruTable({ keyBytes: KEY_BYTES, capacity, onEvict: (slot) => evicted.push(hex(table.keyAt(slot))) });
      const model = new ModelLru(capacity);
      /** which key each slot holds, to check a slot is stable while its entry lives */
      const slotOf = new Map<string, number>();
      for (const { kind, key } of ops) {
        const k = keyOf(key);
        const name = hex(k);
        if (kind === 'get') {
          const slot = table.get(k);
          assert.equal(slot >= 0, model.get(name));
          if (slot >= 0) assert.equal(slot, slotOf.get(name));
        } else if (kind === 'upsert') {
          const present = model.get(name);
          const before = evicted.length;
          const slot = table.upsert(k);
          if (!present) {
            const gone = model.add(name);
            assert.deepEqual(evicted.slice(before), gone === null ? [] : [gone], 'evicts exactly the least recently used');
            if (gone !== null) slotOf.delete(gone);
            slotOf.set(name, slot);
          } else assert.equal(slot, slotOf.get(name));
        } else {
          const slot = table.delete(k);
          assert.equal(slot >= 0, model.map.delete(name));
          slotOf.delete(name);
        }
        assert.ok(table.size <= table.capacity);
        assert.equal(table.size, model.map.size);
      }
      // Same entries in the same recency order, and every one findable.
      assert.deepEqual([...table.slots()].map((s) => hex(table.keyAt(s))), [...model.map.keys()]);
      for (const name of model.map.keys()) assert.ok(table.find(Buffer.from(name, 'hex')) >= 0);
      assert.equal(new Set(slotOf.values()).size, slotOf.size, 'no two live entries share a slot');
    }),
    { numRuns: 300 },
  );
});

test('lru table - a full table keeps finding every entry after a million evictions (no tombstones)', () => {
  const table = new LruTable({ keyBytes: 4, capacity: 1000 });
  const key = new Uint8Array(4);
  const view = new DataView(key.buffer);
  for (let i = 0; i < 1_000_000; i++) {
    view.setUint32(0, i);
    table.add(key);
  }
  assert.equal(table.size, 1000);
  assert.equal(table.evictions, 999_000);
  for (let i = 999_000; i < 1_000_000; i++) {
    view.setUint32(0, i);
    assert.ok(table.find(key) >= 0, `entry ${i}`);
  }
  view.setUint32(0, 998_999);
  assert.equal(table.find(key), -1);
});

test('lru table - capacity derives from the byte budget and the arrays fit in it', () => {
  for (const [keyBytes, valueBytes, maxBytes] of [[16, 21, 8 << 20], [18, 20, 1 << 20], [36, 8, 4096], [4, 0, 100_000]] as const) {
    const capacity = LruTable.capacityFor(maxBytes, keyBytes, valueBytes);
    assert.ok(LruTable.bytesFor(capacity, keyBytes, valueBytes) <= maxBytes);
    assert.ok(LruTable.bytesFor(capacity + 1, keyBytes, valueBytes) > maxBytes);
    const table = new LruTable({ keyBytes, valueBytes, maxBytes });
    assert.equal(table.capacity, capacity);
    assert.ok(table.bytes <= maxBytes);
  }
  assert.throws(() => new LruTable({ keyBytes: 16, capacity: 0 }), RangeError);
  assert.throws(() => new LruTable({ keyBytes: 2, capacity: 4 }).add(new Uint8Array(3)), RangeError);
});

test('state tables - statuses and u64 values by key, bounded', () => {
  const statuses = new StatusTable({ capacity: 2 });
  const ip = (n: number) => new Uint8Array(16).fill(n);
  statuses.set(ip(1), { status: 2, expiry: 10 });
  statuses.set(ip(2), { status: 1, expiry: 0, hlcWall: 5, hlcLogical: 3 });
  assert.deepEqual(statuses.peek(ip(2)), { status: 1, expiry: 0, hlcWall: 5, hlcLogical: 3 });
  statuses.get(ip(1));
  statuses.set(ip(3), { status: 3, expiry: 1 });
  assert.equal(statuses.peek(ip(2)), undefined, 'the least recently used went');
  assert.deepEqual([...statuses.entries()].map(([k]) => k.slice(0, 2)), ['01', '03']);
  const values = new U64Table(16, { capacity: 4 });
  values.set(ip(1), (1n << 64n) - 1n);
  assert.equal(values.get(ip(1)), (1n << 64n) - 1n);
  assert.equal(values.get(ip(2)), undefined);
});
