import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsTestServer } from '@flowshield/test-support';
import { EVENTS_STREAM, ipToBytes16, Status } from '@flowshield/proto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { readEventHistory } from './history.js';
import { PublisherError, PublisherErrorCode } from './errors.js';
import { EventPublisher, type EventInput } from './publisher.js';
import { ensureEventStreams } from './streams.js';

function input(i: number): EventInput {
  const ip = ipToBytes16(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return { tenant: 'acme', ip, prevStatus: Status.NONE, status: Status.CHALLENGED, expiry: 0, reason: 2, programVersion: 1 };
}

async function storedBatches(url: string): Promise<Array<{ subject: string; seqs: number[] }>> {
  const nc = await connect({ servers: url });
  try {
    const out: Array<{ subject: string; seqs: number[] }> = [];
    for await (const entry of readEventHistory(nc)) {
      assert.equal(entry.error, null);
      out.push({ subject: entry.subject, seqs: entry.batch!.events.map((e) => e.seq) });
    }
    return out;
  } finally {
    await nc.close();
  }
}

async function withServer(fn: (nats: NatsTestServer) => Promise<void>): Promise<void> {
  const nats = await NatsTestServer.start();
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    await nc.close();
    await fn(nats);
  } finally {
    await nats.dispose();
  }
}

test('events publisher - batches by count and by time, in sequence order', async () => {
  await withServer(async (nats) => {
    const pub = new EventPublisher({ servers: nats.url, edgeId: 'edge-a', maxBatchEvents: 100, maxBatchDelayMs: 5, initialSeq: 1 });
    for (let i = 0; i < 1_234; i++) assert.ok(pub.publish(input(i)));
    await pub.flush();
    // A lone event goes out on the timer, not because a batch filled up.
    pub.publish(input(9_999));
    await pub.flush();
    const stats = pub.stats;
    await pub.close();
    assert.equal(stats.published, 1_235);
    assert.equal(stats.buffered, 0);
    const batches = await storedBatches(nats.url);
    assert.equal(batches.length, 14);
    assert.ok(batches.every((b) => b.subject === 'fs.events.edge-a' && b.seqs.length <= 100));
    assert.deepEqual(batches.flatMap((b) => b.seqs), Array.from({ length: 1_235 }, (_, i) => i + 1));
  });
});

test('events publisher - a re-sent batch id is de-duplicated by the stream', async () => {
  await withServer(async (nats) => {
    const first = new EventPublisher({ servers: nats.url, edgeId: 'edge-d', initialSeq: 1, messageIdNonce: 'n1' });
    first.publish(input(1));
    await first.close();
    // A second run that starts at the same sequence, with the same nonce, produces the same message id.
    const again = new EventPublisher({ servers: nats.url, edgeId: 'edge-d', initialSeq: 1, messageIdNonce: 'n1' });
    again.publish(input(1));
    await again.flush();
    assert.equal(again.stats.duplicateBatches, 1);
    await again.close();
    const nc = await connect({ servers: nats.url });
    const info = await (await jetstream(nc).streams.get(EVENTS_STREAM)).info();
    assert.equal(info.state.messages, 1);
    await nc.close();
  });
});

test('events publisher - another publisher cannot have a batch dropped by taking its message id first', async () => {
  await withServer(async (nats) => {
    const nc = await connect({ servers: nats.url });
    const publisher = new EventPublisher({ servers: nats.url, edgeId: 'edge-v', initialSeq: 1 });
    await publisher.flush();
    // What an edge could guess of edge-v's ids: its edge id and a sequence, in every old shape.
    const js = jetstream(nc);
    for (const msgID of ['edge-v:1', 'edge-v::1', 'edge-v:0:1']) await js.publish('fs.events.edge-x', new Uint8Array([1]), { msgID });
    publisher.publish(input(1));
    await publisher.flush();
    assert.equal(publisher.stats.duplicateBatches, 0);
    await publisher.close();
    const info = await (await jetstream(nc).streams.get(EVENTS_STREAM)).info();
    assert.equal(info.state.messages, 4);
    await nc.close();
  });
});

test('events publisher - keeps accepting while NATS is down, then delivers everything in order', async () => {
  await withServer(async (nats) => {
    const pub = new EventPublisher({ servers: nats.url, edgeId: 'edge-o', maxBatchEvents: 50, publishTimeoutMs: 500, retryDelayMs: 50, initialSeq: 1 });
    let n = 0;
    for (; n < 500; n++) pub.publish(input(n));
    await pub.flush();
    await nats.stop();
    // While the server is down publish() must still return at once and take every event.
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 300; k++, n++) assert.ok(pub.publish(input(n)), 'accepted while down');
      await new Promise((r) => setTimeout(r, 60));
    }
    assert.ok(pub.stats.buffered >= 3_000 - 50, `buffered ${pub.stats.buffered}`);
    assert.equal(pub.stats.healthy, false);
    await nats.start();
    await pub.flush(30_000);
    const stats = pub.stats;
    await pub.close();
    assert.equal(stats.published, n);
    assert.equal(stats.overflow, 0);
    const seqs = (await storedBatches(nats.url)).flatMap((b) => b.seqs);
    assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i + 1), 'every event once, in per-edge order');
  });
});

test('events publisher - a full buffer refuses and counts, never drops silently', async () => {
  await withServer(async (nats) => {
    const pub = new EventPublisher({ servers: nats.url, edgeId: 'edge-f', maxBufferedEvents: 100, publishTimeoutMs: 300, retryDelayMs: 50, initialSeq: 1 });
    pub.publish(input(0));
    await pub.flush();
    await nats.stop();
    let refused = 0;
    for (let i = 1; i <= 150; i++) if (pub.publish(input(i)) === null) refused++;
    assert.equal(refused, 50);
    assert.equal(pub.stats.overflow, 50);
    assert.equal(pub.stats.buffered, 100);
    await nats.start();
    await pub.flush(30_000);
    assert.equal(pub.stats.published, 101);
    await pub.close();
  });
});

test('events publisher - an event with a field out of range is refused at publish(), not in its batch', async () => {
  await withServer(async (nats) => {
    const pub = new EventPublisher({ servers: nats.url, edgeId: 'edge-v', initialSeq: 1 });
    assert.throws(() => pub.publish({ ...input(1), ip: new Uint8Array(4) }), (e: unknown) => e instanceof PublisherError && e.code === PublisherErrorCode.INVALID_EVENT);
    assert.throws(() => pub.publish({ ...input(1), status: 9 as 0 }), PublisherError);
    assert.equal(pub.publish(input(2))!.seq, 1, 'refused events take no sequence number');
    await pub.close();
    assert.equal(pub.stats.invalid, 2);
    assert.equal(pub.stats.published, 1);
  });
});
