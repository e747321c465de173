import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds, isEmptyReplicaDir, listSnapshots, openSnapshotStore, restoreSnapshot, SnapshotErrorCode, snapshotId } from '@flowshield/events';
import { encodeManifest } from '@flowshield/proto';
import { readSnapshotFacts, ReplicaWriter } from '@flowshield/replica';
import { connect } from '@nats-io/transport-node';
import { snapshotReplica } from './snapshotter.js';
import { publishSynthetic, replicaFacts, spawnState, stopState, syntheticEvents, waitFor } from './testing.js';

test('state - a replica bootstrapped from a snapshot plus the tail has the digest of one that consumed everything', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-snap-'));
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    const fullDb = join(dir, 'full');
    const full = await spawnState({ url: nats.url, db: fullDb, replicaId: 'full' });

    await publishSynthetic(nats.url, ['edge-a', 'edge-b'], 20_000, 5_000, 11);
    const phase1 = await eventStreamBounds(nc);
    await waitFor(async () => (await replicaFacts(fullDb))?.sequence === phase1.lastSeq, 30_000, 'phase 1 merged');
    // Cut from the live replica while its writer keeps running.
    const manifest = await snapshotReplica(nc, fullDb, 'full');
    assert.deepEqual(manifest.sequences, { FS_EVENTS: phase1.lastSeq });
    assert.equal(manifest.appliedEvents, 40_000);

    await publishSynthetic(nats.url, ['edge-a', 'edge-c'], 15_000, 5_000, 12);
    const phase2 = await eventStreamBounds(nc);

    const newDb = join(dir, 'new');
    const fresh = await spawnState({ url: nats.url, db: newDb, replicaId: 'new' });
    const boot = fresh.logs.find((l) => l.msg === 'bootstrapped from snapshot');
    assert.ok(boot, 'the new replica started from the snapshot');
    assert.ok(fresh.logs.some((l) => l.msg?.toString().startsWith('consumer positioned') && l.startSeq === phase1.lastSeq + 1), 'and consumed only the tail');

    await waitFor(async () => (await replicaFacts(newDb))?.sequence === phase2.lastSeq, 30_000, 'new replica caught up');
    await waitFor(async () => (await replicaFacts(fullDb))?.sequence === phase2.lastSeq, 30_000, 'full replica caught up');
    await stopState(fresh);
    await stopState(full);
    const a = (await replicaFacts(fullDb))!;
    const b = (await replicaFacts(newDb))!;
    assert.equal(b.digest, a.digest);
    assert.equal(b.appliedEvents, a.appliedEvents);

    const { manifests } = await listSnapshots(await openSnapshotStore(nc));
    assert.equal(manifests.length, 1);
    assert.equal(manifests[0]!.digest, manifest.digest);
    await nc.close();
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('state - a restore trusts the state digest only through the data digest its manifest recorded', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-snapdigest-'));
  try {
    const src = join(dir, 'src');
    const w = ReplicaWriter.open(src);
    w.merge({ stream: 'FS_EVENTS', lastSequence: 3, messages: 3, events: [...syntheticEvents(500, 400, 7)].map((e, i) => ({ ...e, edgeId: 'edge-a', seq: i + 1, hlcWall: 1_800_000_000_000 + i, hlcLogical: 0 })) });
    const expected = w.digest();
    await w.close();
    const nc = await connect({ servers: nats.url });
    const manifest = await snapshotReplica(nc, src, 'src');
    assert.match(manifest.dataDigest ?? '', /^SHA-256=/);
    const store = await openSnapshotStore(nc);
    const restore = (name: string) => restoreSnapshot(nc, { facts: readSnapshotFacts }, join(dir, name));
    const republish = (m: object, at: number) => store.putBlob({ name: `${snapshotId(at, 'src')}.manifest.json` }, encodeManifest({ ...manifest, ...m, createdAt: at }));

    // The recorded data digest: restored without a scan, and the state is the manifest's.
    assert.equal((await restore('a'))?.digest, expected.digest);
    assert.equal((await replicaFacts(join(dir, 'a'), 'FS_EVENTS'))?.digest, expected.digest);
    // A manifest from before data digests: the full state digest is computed and compared.
    await republish({ dataDigest: undefined }, manifest.createdAt + 1);
    assert.equal((await restore('b'))?.dataDigest, undefined);
    await republish({ dataDigest: undefined, digest: 'f'.repeat(64) }, manifest.createdAt + 2);
    await assert.rejects(restore('c'), (err: Error & { code?: string }) => err.code === SnapshotErrorCode.DIGEST);
    // A data digest that is not the object's: refused before anything is moved into place.
    await republish({ dataDigest: `SHA-256=${'A'.repeat(43)}=` }, manifest.createdAt + 3);
    await assert.rejects(restore('d'), (err: Error & { code?: string }) => err.code === SnapshotErrorCode.DIGEST);
    assert.equal(isEmptyReplicaDir(join(dir, 'd')), true);
    await nc.close();
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
