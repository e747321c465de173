import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { ReplicaWriter } from '@flowshield/replica';
import { jsonOf, runCli } from './event-cli.test-support.js';

test('cli snapshot - create, list and restore round-trip a replica with a checked digest', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-snapshot-'));
  try {
    const db = join(dir, 'live');
    const w = ReplicaWriter.open(db);
    const events: StatusEvent[] = Array.from({ length: 300 }, (_, i) => ({
      tenant: 'acme', ip: ipToBytes16(`10.9.${i >> 8}.${i & 255}`), prevStatus: Status.NONE, status: Status.VERIFIED, expiry: 0,
      hlcWall: 5_000 + i, hlcLogical: 0, edgeId: 'edge-s', seq: i + 1, reason: 3, programVersion: 1,
    }));
    w.merge({ stream: 'FS_EVENTS', lastSequence: 42, messages: 3, events });
    const digest = w.digest();
    await w.close();

    const create = await runCli(['snapshot', 'create', '--db', db, '--replica-id', 'r1', '--server', nats.url, '--json']);
    const created = jsonOf(create);
    // Progress goes to stderr (plain lines off a terminal), so stdout stays the JSON.
    assert.match(create.stderr, /snapshot verify: 100% \(300\/300\) entries/);
    assert.match(create.stderr, /snapshot upload: 100% /);
    assert.equal(created.digest, digest.digest);
    assert.deepEqual(created.sequences, { FS_EVENTS: 42 });

    const listed = jsonOf(await runCli(['snapshot', 'list', '--server', nats.url, '--json'])) as { snapshots: Array<{ dataObject: string }> };
    assert.deepEqual(listed.snapshots.map((s) => s.dataObject), [created.dataObject]);

    const out = join(dir, 'restored');
    const restore = await runCli(['snapshot', 'restore', '--out', out, '--server', nats.url, '--json']);
    const restored = jsonOf(restore);
    assert.match(restore.stderr, /restore download: 100% /);
    // The manifest pins the data object's SHA-256, which the object store checks on every byte it
    // reads: the restore compares the entry count instead of re-digesting every entry.
    assert.doesNotMatch(restore.stderr, /restore verify/);
    assert.equal(restored.digest, digest.digest);
    assert.equal(jsonOf(await runCli(['state', 'digest', '--db', out, '--json'])).digest, digest.digest);

    const twice = await runCli(['snapshot', 'restore', '--out', out, '--server', nats.url]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already holds a replica/);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
