import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds, listSnapshots, openSnapshotStore } from '@flowshield/events';
import { connect } from '@nats-io/transport-node';
import { snapshotReplica } from './snapshotter.js';
import { publishSynthetic, replicaFacts, spawnState, stopState, waitFor } from './testing.js';

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
