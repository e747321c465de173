import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { ReplicaReader } from './reader.js';
import { ReplicaWriter } from './writer.js';

const ip = ipToBytes16('192.0.2.9');
const event: StatusEvent = { tenant: 'acme', ip, prevStatus: 0, status: Status.BLOCKED, expiry: 2_000, hlcWall: 50, hlcLogical: 0, edgeId: 'edge-a', seq: 1, reason: 4, programVersion: 3 };

test('replica - the reader sees a register written by another process, expired reads as no entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  try {
    // The writer runs in its own process, as services/state does next to an edge.
    const writerUrl = new URL('./writer.js', import.meta.url).href;
    const script = `
      const { ReplicaWriter } = await import(${JSON.stringify(writerUrl)});
      const w = ReplicaWriter.open(process.argv[1]);
      const ev = JSON.parse(process.argv[2]); ev.ip = Uint8Array.from(ev.ip);
      w.merge({ stream: 'FS_EVENTS', lastSequence: 4, messages: 1, events: [ev] });
      await w.close();`;
    // The reader is open before the other process writes, as an edge's would be.
    await ReplicaWriter.open(dir).close();
    const reader = ReplicaReader.open(dir);
    assert.equal(reader.lookup('acme', ip, 1_000), null);
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script, dir, JSON.stringify({ ...event, ip: [...ip] })], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    // lmdb renews the reader's snapshot between event-loop turns.
    await new Promise((r) => setTimeout(r, 5));
    try {
      assert.deepEqual(reader.lookup('acme', ip, 1_000), { status: Status.BLOCKED, expiry: 2_000, hlc: { wall: 50, logical: 0 }, edgeId: 'edge-a' });
      assert.equal(reader.lookup('acme', ip, 2_000), null, 'expired at its expiry second');
      assert.equal(reader.lookup('other', ip, 1_000), null);
      assert.equal(reader.lookupEvent('acme', ip)?.reason, 4);
      assert.deepEqual(reader.sequences(), { FS_EVENTS: 4 });
      assert.equal(reader.digest().entries, 1);
    } finally {
      await reader.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replica - a backup is a replica with the same digest and sequences', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-replica-'));
  try {
    const w = ReplicaWriter.open(join(dir, 'live'));
    w.merge({ stream: 'S', lastSequence: 9, messages: 2, events: [event, { ...event, tenant: 'b', seq: 2 }] });
    await w.backup(join(dir, 'copy'));
    const digest = w.digest();
    await w.close();
    const r = ReplicaReader.open(join(dir, 'copy'));
    assert.deepEqual(r.digest(), digest);
    assert.deepEqual(r.sequences(), { S: 9 });
    await r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
