import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatsTestServer } from '@flowshield/test-support';
import { encodeBatch, EventRejectCode, ipToBytes16, MAX_EVENT_CLOCK_AHEAD_MS, Status, type StatusEvent } from '@flowshield/proto';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { readEventHistory } from './history.js';
import { ensureEventStreams } from './streams.js';

const event = (edgeId: string, seq: number): StatusEvent => ({
  tenant: 'acme', ip: ipToBytes16('192.0.2.9'), prevStatus: Status.NONE, status: Status.BLOCKED, expiry: 0,
  hlcWall: 5_000 + seq, hlcLogical: 0, edgeId, seq, reason: 1, programVersion: 1,
});

test('events history - a batch naming another edge than its subject, or stamped far ahead of when it was stored, is an error, not history', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await connect({ servers: nats.url });
  t.after(async () => { await nc.close(); await nats.dispose(); });
  await ensureEventStreams(nc);
  const js = jetstream(nc);
  await js.publish('fs.events.edge-a', encodeBatch({ edgeId: 'edge-a', events: [event('edge-a', 1)] }));
  await js.publish('fs.events.edge-a', encodeBatch({ edgeId: 'edge-b', events: [event('edge-b', 1)] }));
  await js.publish('fs.events.edge-a', encodeBatch({ edgeId: 'edge-a', events: [{ ...event('edge-a', 2), hlcWall: Date.now() + MAX_EVENT_CLOCK_AHEAD_MS + 60_000 }] }));
  await js.publish('fs.events.edge-a', encodeBatch({ edgeId: 'edge-a', events: [{ ...event('edge-a', 3), hlcWall: Date.now() + 60_000 }] }));
  const entries = [];
  for await (const entry of readEventHistory(nc)) entries.push(entry);
  assert.deepEqual(entries.map((e) => [e.streamSeq, e.batch?.edgeId ?? null, e.error?.code ?? null]), [
    [1, 'edge-a', null],
    [2, null, EventRejectCode.EDGE_MISMATCH],
    [3, null, EventRejectCode.CLOCK_AHEAD],
    [4, 'edge-a', null], // a minute fast is within what a clock may be
  ]);
});
