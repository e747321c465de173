import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NatsTestServer, scrape } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds } from '@flowshield/events';
import {
  DEADLETTER_HEADERS, DEADLETTER_STREAM, encodeBatch, EventDecodeCode, EventRejectCode, ipToBytes16, Status, type StatusEvent,
} from '@flowshield/proto';
import { ReplicaWriter } from '@flowshield/replica';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Packr } from 'msgpackr';
import { replicaFacts, spawnState, stopState, waitFor } from './testing.js';

function event(seq: number): StatusEvent {
  return {
    tenant: 'acme', ip: ipToBytes16(`192.0.2.${seq % 50}`), prevStatus: Status.NONE, status: (seq % 4) as Status, expiry: 0,
    hlcWall: 1_000 + seq, hlcLogical: 0, edgeId: 'edge-m', seq, reason: 1, programVersion: 1,
  };
}

test('state - malformed messages are counted and dead-lettered while the consumer keeps going', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-dl-'));
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    const js = jetstream(nc);
    const good: StatusEvent[] = [];
    const badKinds: Uint8Array[] = [];
    const full = encodeBatch({ edgeId: 'edge-m', events: [event(900), event(901)] });
    badKinds.push(randomBytes(64));                                 // random bytes
    badKinds.push(Uint8Array.of(42, ...full.subarray(1)));          // wrong version
    badKinds.push(full.subarray(0, full.length - 7));               // truncated batch
    badKinds.push(new Uint8Array());                                // empty
    // records defined inline at the shared structures' ids: it once made every later batch fail to decode
    badKinds.push(Uint8Array.of(full[0]!, ...new Packr({ useRecords: true }).pack({ edgeId: 'edge-x', events: [{ tenant: 7 }] })));
    let seq = 1;
    for (let round = 0; round < 20; round++) {
      const events = [event(seq++), event(seq++), event(seq++)];
      good.push(...events);
      await js.publish('fs.events.edge-m', encodeBatch({ edgeId: 'edge-m', events }));
      await js.publish('fs.events.edge-x', badKinds[round % badKinds.length]!);
    }
    // A clock a minute fast is a clock; one stamping events an hour ahead would win their registers for good.
    const fast = { ...event(seq++), edgeId: 'edge-n', hlcWall: Date.now() + 60_000 };
    good.push(fast);
    await js.publish('fs.events.edge-n', encodeBatch({ edgeId: 'edge-n', events: [fast] }));
    await js.publish('fs.events.edge-x', encodeBatch({ edgeId: 'edge-x', events: [{ ...event(seq++), edgeId: 'edge-x', status: Status.BLOCKED, hlcWall: Date.now() + 3_600_000 }] }));
    const { lastSeq } = await eventStreamBounds(nc);

    const db = join(dir, 'replica');
    const proc = await spawnState({ url: nats.url, db, replicaId: 'dl' });
    await waitFor(async () => (await replicaFacts(db))?.sequence === lastSeq, 30_000, 'consumer to pass every message');
    const metrics = await scrape(proc.metricsPort!);
    await stopState(proc);

    // The good events are all merged, exactly as a replica fed only them.
    const expectedDir = join(dir, 'expected');
    const expected = ReplicaWriter.open(expectedDir);
    expected.merge({ stream: 'x', lastSequence: 0, messages: 0, events: good });
    const want = expected.digest();
    await expected.close();
    const got = (await replicaFacts(db))!;
    assert.equal(got.digest, want.digest);
    assert.equal(got.appliedEvents, good.length);

    // Every bad message is in the dead-letter stream with its reason.
    const dlq = await js.consumers.get(DEADLETTER_STREAM);
    const codes: string[] = [];
    const batch = await dlq.fetch({ max_messages: 100, expires: 1_000 });
    for await (const m of batch) {
      codes.push(m.headers!.get(DEADLETTER_HEADERS.code));
      assert.equal(m.headers!.get(DEADLETTER_HEADERS.subject), 'fs.events.edge-x');
      if (m.info.pending === 0) break;
    }
    assert.equal(codes.length, 21);
    for (const code of [EventDecodeCode.MSGPACK, EventDecodeCode.VERSION, EventDecodeCode.EMPTY, EventDecodeCode.FIELD, EventRejectCode.CLOCK_AHEAD]) assert.ok(codes.includes(code), code);

    assert.match(metrics, /fs_state_deadlettered_total 21/);
    assert.match(metrics, /fs_state_events_rejected_total\{reason="clock_ahead"\} 1/);
    const malformed = [...metrics.matchAll(/fs_state_malformed_messages_total\{code="[A-Z_]+"\} (\d+)/g)].reduce((s, m) => s + Number(m[1]), 0);
    assert.equal(malformed, 20);
    assert.ok(proc.logs.some((l) => l.msg === 'malformed event message dead-lettered'));
    await nc.close();
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
