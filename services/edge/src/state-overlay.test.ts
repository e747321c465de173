import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToBytes16 } from '@flowshield/proto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReplicaReader, ReplicaWriter } from '@flowshield/replica';
import { TenantState } from './state-overlay.js';

const ip = (n: number) => ipToBytes16(`127.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);

test('edge state - a flood of first contacts ten times the overlay never evicts a verified or blocked source', () => {
  const state = new TenantState('t', null, { current: null }, { statusBytes: 64 * 1024, ipDataBytes: 4096, flowDataBytes: 4096 });
  const now = 1_000;
  const verified = ip(1), blocked = ip(2);
  state.setStatus(verified, { status: 1, expiry: now + 60 }, now);
  state.setStatus(verified, { status: 2, expiry: now + 3600 }, now);
  state.setStatus(blocked, { status: 3, expiry: now + 600 }, now);
  const flood = state.firstContacts.table.capacity * 10;
  for (let n = 1_000; n < 1_000 + flood; n++) state.setStatus(ip(n), { status: 1, expiry: now + 60 }, now);
  assert.equal(state.getStatus(verified, now)?.status, 2);
  assert.equal(state.getStatus(blocked, now)?.status, 3);
  // The first contacts stay bounded and the newest are there; a source is in one table only.
  assert.equal(state.firstContacts.size, state.firstContacts.table.capacity);
  assert.equal(state.getStatus(ip(1_000 + flood - 1), now)?.status, 1);
  assert.equal(state.getStatus(ip(1_000), now), undefined, 'the oldest first contact evicted');
  assert.equal(state.overlay.size, 2);
  assert.equal(state.overlaySize, 2 + state.firstContacts.size);
  // A verified source downgraded to CHALLENGED is a published transition: it stays with the published ones.
  state.setStatus(verified, { status: 1, expiry: now + 60 }, now);
  assert.equal(state.firstContacts.peek(verified), undefined);
  assert.equal(state.getStatus(verified, now)?.status, 1);
  // A first contact that becomes VERIFIED moves out of the first contacts.
  const fresh = ip(1_000 + flood - 1);
  state.setStatus(fresh, { status: 2, expiry: now + 3600 }, now);
  assert.equal(state.firstContacts.peek(fresh), undefined);
  assert.equal(state.getStatus(fresh, now)?.status, 2);
});

test('edge state - an expired first contact falls back to the replica: a source verified elsewhere is not challenged again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-overlay-'));
  const writer = ReplicaWriter.open(join(dir, 'replica'));
  const replica = { current: ReplicaReader.open(join(dir, 'replica')) };
  t.after(async () => { await replica.current.close(); await writer.close(); });
  const state = new TenantState('t', null, replica);
  const now = 1_800_000_000;
  const player = ip(7);
  // A first contact here (a spoofed packet with the player's address, say) before this edge learnt
  // that another edge verified the player a little earlier.
  state.setStatus(player, { status: 1, expiry: now + 60 }, now);
  writer.merge({ stream: 'FS_EVENTS', lastSequence: 1, messages: 1, events: [{
    tenant: 't', ip: player, prevStatus: 1, status: 2, expiry: 0, hlcWall: (now - 10) * 1000, hlcLogical: 0, edgeId: 'edge-b', seq: 1, reason: 2, programVersion: 1,
  }] });
  await sleep(20); // the reader's snapshot moves between event-loop turns (lmdb-js renews it on a timer)
  assert.equal(state.getStatus(player, now + 1)?.status, 1, 'the newer local contact stands while it lasts');
  assert.equal(state.getStatus(player, now + 61)?.status, 2, 'then the replica\'s VERIFIED, not "no entry"');
});
