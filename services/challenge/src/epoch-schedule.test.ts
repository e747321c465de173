import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EpochSchedule } from './epoch-schedule.js';

const T = 1_800_000_000;

test('challenge schedule - a current epoch from the start, the next published ahead, old ones retired', () => {
  const s = new EpochSchedule({ epochSeconds: 60, leadSeconds: 15 });
  const first = s.tick(T);
  assert.equal(first.upsert.length, 1);
  const cur = first.upsert[0]!;
  assert.deepEqual(cur, { keyId: Math.floor(T / 60), notBefore: T, notAfter: T + 60, acceptUntil: T + 120 });
  assert.deepEqual(s.tick(T + 44), { upsert: [], remove: [] });
  const ahead = s.tick(T + 45);
  assert.deepEqual(ahead.upsert, [{ keyId: cur.keyId + 1, notBefore: T + 60, notAfter: T + 120, acceptUntil: T + 180 }]);
  assert.equal(s.current(T + 59)!.keyId, cur.keyId);
  assert.equal(s.current(T + 60)!.keyId, cur.keyId + 1);
  assert.deepEqual(s.info(T + 70).map((e) => e.state), ['previous', 'current']);
  s.tick(T + 106);
  assert.deepEqual(s.tick(T + 121).remove, [cur.keyId], 'retired once its acceptance window is over');
});

test('challenge schedule - rotate ends the current epoch now and keeps it accepted for one epoch', () => {
  const s = new EpochSchedule({ epochSeconds: 60, leadSeconds: 15 });
  const cur = s.tick(T).upsert[0]!;
  s.tick(T + 50); // pre-publishes next
  const r = s.rotate(T + 52);
  assert.equal(r.previous!.keyId, cur.keyId);
  assert.equal(r.previous!.notAfter, T + 52);
  assert.equal(r.previous!.acceptUntil, T + 112);
  assert.deepEqual(r.remove, [], 'the published next epoch is kept: every edge already holds its key');
  assert.equal(r.current.keyId, cur.keyId + 1, 'the published next epoch is promoted');
  assert.deepEqual(r.current, { keyId: cur.keyId + 1, notBefore: T + 52, notAfter: T + 112, acceptUntil: T + 172 });
  assert.equal(s.current(T + 52)!.keyId, cur.keyId + 1);
  assert.deepEqual(r.upsert.map((e) => e.keyId).sort(), [cur.keyId, cur.keyId + 1], 'both records rewritten with their new times');
  // Rotating again with nothing published ahead starts a new epoch; ids never repeat.
  const again = s.rotate(T + 53);
  assert.equal(again.current.keyId, cur.keyId + 2);
  assert.equal(again.previous!.keyId, cur.keyId + 1);
});

test('challenge schedule - a restart continues from the epochs found in the bucket', () => {
  const a = new EpochSchedule({ epochSeconds: 60 });
  a.tick(T);
  const b = new EpochSchedule({ epochSeconds: 60 });
  b.load(a.all());
  assert.deepEqual(b.tick(T + 10).upsert, []);
  // Down for longer than the acceptance window: a fresh epoch with a larger id.
  const late = b.tick(T + 1000);
  assert.ok(late.upsert[0]!.keyId > a.all()[0]!.keyId);
});
