import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, EventPublisher, listSnapshots, openSnapshotStore, readEventHistory } from '@flowshield/events';
import { connect } from '@nats-io/transport-node';
import { replicaFacts, spawnState, stopState, syntheticEvents, waitFor } from './testing.js';

test('state - across a NATS restart the publisher buffers, the service resumes, and every event is merged once, in order per edge', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-outage-'));
  try {
    const nc0 = await connect({ servers: nats.url });
    await ensureEventStreams(nc0);
    await nc0.close();
    const db = join(dir, 'replica');
    const state = await spawnState({ url: nats.url, db, replicaId: 'outage', extra: ['--snapshot-interval-ms', '400'] });
    const pubs = ['edge-a', 'edge-b'].map((edgeId) => new EventPublisher({ servers: nats.url, edgeId, maxBatchEvents: 100, publishTimeoutMs: 500, retryDelayMs: 50 }));
    const feed = (n: number, seed: number) => pubs.forEach((p, k) => { for (const e of syntheticEvents(n, 1_000, seed + k)) assert.ok(p.publish(e)); });

    feed(2_000, 1);
    await Promise.all(pubs.map((p) => p.flush()));
    await waitFor(async () => (await replicaFacts(db))?.appliedEvents === 4_000, 20_000, 'events before the outage');

    await nats.stop();
    for (let round = 0; round < 5; round++) {
      feed(400, 10 + round);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(pubs.every((p) => !p.stats.healthy && p.stats.buffered > 0), 'publishers are buffering');
    await nats.start();
    await Promise.all(pubs.map((p) => p.flush(30_000)));
    await waitFor(async () => (await replicaFacts(db))?.appliedEvents === 8_000, 30_000, 'service to merge the buffered events');
    assert.ok(pubs.every((p) => p.stats.overflow === 0));
    await Promise.all(pubs.map((p) => p.close()));

    // The stream holds each edge's events once, in sequence order.
    const nc = await connect({ servers: nats.url });
    const seqs = new Map<string, number[]>();
    for await (const entry of readEventHistory(nc)) {
      for (const e of entry.batch!.events) seqs.set(e.edgeId, [...(seqs.get(e.edgeId) ?? []), e.seq]);
    }
    for (const [edge, list] of seqs) {
      assert.equal(list.length, 4_000, edge);
      assert.ok(list.every((s, i) => i === 0 || s === list[i - 1]! + 1), `${edge} in order`);
    }
    // Periodic snapshots kept being cut around the outage.
    await waitFor(async () => (await listSnapshots(await openSnapshotStore(nc))).manifests.length > 0, 10_000, 'a periodic snapshot');
    await nc.close();
    await stopState(state);
    assert.equal((await replicaFacts(db))!.appliedEvents, 8_000, 'nothing applied twice');
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
