import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds } from '@flowshield/events';
import { encodeBatch, EVENTS_STREAM, ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { replicaFacts, spawnState, stopState, waitFor } from './testing.js';

const event = (seq: number): StatusEvent => ({
  tenant: 'acme', ip: ipToBytes16(`192.0.2.${seq % 200}`), prevStatus: Status.NONE, status: Status.CHALLENGED, expiry: 0,
  hlcWall: 10_000 + seq, hlcLogical: 0, edgeId: 'edge-c', seq, reason: 1, programVersion: 1,
});

test('state - a durable consumer re-configured by someone else (max_ack_pending 1) is re-created as the service makes it', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-consumer-'));
  const nc = await connect({ servers: nats.url });
  let proc: Awaited<ReturnType<typeof spawnState>> | null = null;
  try {
    await ensureEventStreams(nc);
    const js = jetstream(nc);
    let seq = 1;
    const publish = async (batches: number) => {
      for (let i = 0; i < batches; i++) await js.publish('fs.events.edge-c', encodeBatch({ edgeId: 'edge-c', events: [event(seq++), event(seq++)] }));
    };
    await publish(3);
    const db = join(dir, 'replica');
    proc = await spawnState({ url: nats.url, db, replicaId: 'cc' });
    await waitFor(async () => (await replicaFacts(db))?.sequence === 3, 30_000, 'the first batches merged');
    await stopState(proc);

    // While it is down, a reader with consumer rights on the stream turns its durable into a trickle.
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.update(EVENTS_STREAM, 'state-cc', { max_ack_pending: 1, ack_wait: nanos(3_600_000) });
    assert.equal((await jsm.consumers.info(EVENTS_STREAM, 'state-cc')).config.max_ack_pending, 1);
    await publish(20);
    const { lastSeq } = await eventStreamBounds(nc);

    proc = await spawnState({ url: nats.url, db, replicaId: 'cc' });
    await waitFor(async () => (await replicaFacts(db))?.sequence === lastSeq, 30_000, 'every batch merged after the restart');
    const info = await jsm.consumers.info(EVENTS_STREAM, 'state-cc');
    assert.ok((info.config.max_ack_pending ?? 0) >= 10_000, `max_ack_pending ${info.config.max_ack_pending}`);
    assert.equal(info.config.ack_wait, nanos(60_000));
    assert.ok(proc.logs.some((l) => l.msg === 'the durable consumer is not configured as this service makes it; re-creating it'));
  } finally {
    if (proc) await stopState(proc);
    await nc.close();
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
