import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReplayFilter } from './replay-filter.js';

test('puzzle replay filter - remembers tags exactly and refuses when full', () => {
  const filter = new ReplayFilter(1000);
  const tag = (i: number) => {
    const t = new Uint8Array(16);
    new DataView(t.buffer).setUint32(0, Math.imul(i, 0x9e3779b1));
    new DataView(t.buffer).setUint32(4, i);
    return t;
  };
  for (let i = 0; i < 1000; i++) assert.equal(filter.add(tag(i)), 'added');
  for (let i = 0; i < 1000; i++) assert.equal(filter.add(tag(i)), 'seen');
  assert.equal(filter.add(tag(5000)), 'full');
  assert.equal(filter.size, 1000);
  assert.equal(filter.add(new Uint8Array(16)), 'seen', 'tag(0) is all zero: stored as a real value, not taken for an empty slot');
  filter.clear();
  assert.equal(filter.add(new Uint8Array(16)), 'added');
  assert.equal(filter.add(new Uint8Array(16)), 'seen');
});

test('puzzle key ring - an epoch key never serialises its key state', async () => {
  const { inspect } = await import('node:util');
  const { KeyRing } = await import('./key-ring.js');
  const ring = new KeyRing();
  ring.upsert({ keyId: 9, notBefore: 1, notAfter: 2, acceptUntil: 3, key: new Uint8Array(32).fill(0xee) });
  const key = ring.acceptingKey(9, 2)!;
  assert.deepEqual(JSON.parse(JSON.stringify(key)), { keyId: 9, notBefore: 1, notAfter: 2, acceptUntil: 3, answered: 0 });
  assert.doesNotMatch(inspect(key, { depth: 10 }), /238|ee/);
});
