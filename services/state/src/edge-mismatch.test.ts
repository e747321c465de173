import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds } from '@flowshield/events';
import {
  DEADLETTER_HEADERS, DEADLETTER_STREAM, encodeBatch, EventRejectCode, ipToBytes16, Status, type StatusEvent,
} from '@flowshield/proto';
import { ReplicaReader, ReplicaWriter } from '@flowshield/replica';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { replicaFacts, spawnState, stopState, waitFor } from './testing.js';

function event(edgeId: string, seq: number, ip: string, status: Status): StatusEvent {
  return {
    tenant: 'acme', ip: ipToBytes16(ip), prevStatus: Status.NONE, status, expiry: 0,
    hlcWall: 2_000 + seq, hlcLogical: 0, edgeId, seq, reason: 1, programVersion: 1,
  };
}

test('state - a batch naming another edge than its subject is counted, dead-lettered and never merged', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-mismatch-'));
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    const js = jetstream(nc);
    const good: StatusEvent[] = [];
    let seq = 1;
    const honest = (ip: string, status: Status) => { const e = event('edge-m', seq++, ip, status); good.push(e); return e; };
    await js.publish('fs.events.edge-m', encodeBatch({ edgeId: 'edge-m', events: [honest('192.0.2.1', Status.VERIFIED), honest('192.0.2.2', Status.BLOCKED)] }));
    // On edge-m's own subject, a batch claiming to be from edge-evil (a payload that disagrees with the subject).
    await js.publish('fs.events.edge-m', encodeBatch({ edgeId: 'edge-evil', events: [event('edge-evil', 1, '198.51.100.1', Status.VERIFIED)] }));
    // On edge-evil's subject, a batch posing as edge-m (what an edge allowed only its own subject could still send).
    await js.publish('fs.events.edge-evil', encodeBatch({ edgeId: 'edge-m', events: [event('edge-m', 99, '198.51.100.2', Status.BLOCKED), event('edge-m', 100, '192.0.2.1', Status.BLOCKED)] }));
    // A subject deeper than one edge token names no edge at all.
    await js.publish('fs.events.edge-m.extra', encodeBatch({ edgeId: 'edge-m', events: [event('edge-m', 101, '198.51.100.3', Status.VERIFIED)] }));
    await js.publish('fs.events.edge-m', encodeBatch({ edgeId: 'edge-m', events: [honest('192.0.2.3', Status.VERIFIED)] }));
    const { lastSeq } = await eventStreamBounds(nc);

    const db = join(dir, 'replica');
    const proc = await spawnState({ url: nats.url, db, replicaId: 'mm' });
    await waitFor(async () => (await replicaFacts(db))?.sequence === lastSeq, 30_000, 'consumer to pass every message');
    const metrics = await (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
    await stopState(proc);

    // Only the honest events are merged: the replica equals one fed only them.
    const expectedDir = join(dir, 'expected');
    const expected = ReplicaWriter.open(expectedDir);
    expected.merge({ stream: 'x', lastSequence: 0, messages: 0, events: good });
    const want = expected.digest();
    await expected.close();
    const got = (await replicaFacts(db))!;
    assert.equal(got.digest, want.digest);
    assert.equal(got.appliedEvents, good.length);
    const reader = ReplicaReader.open(db);
    try {
      for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) assert.equal(reader.lookup('acme', ipToBytes16(ip)) ?? null, null, ip);
      assert.equal(reader.lookup('acme', ipToBytes16('192.0.2.1'))?.status, Status.VERIFIED, 'the forged BLOCKED did not overwrite it');
    } finally {
      await reader.close();
    }

    // The three refused messages are in the dead-letter stream, unchanged, with the reason.
    const dlq = await js.consumers.get(DEADLETTER_STREAM);
    const letters: Array<{ code: string; subject: string; reason: string }> = [];
    for await (const m of await dlq.fetch({ max_messages: 10, expires: 1_000 })) {
      letters.push({ code: m.headers!.get(DEADLETTER_HEADERS.code), subject: m.headers!.get(DEADLETTER_HEADERS.subject), reason: m.headers!.get(DEADLETTER_HEADERS.reason) });
      if (m.info.pending === 0) break;
    }
    assert.deepEqual(letters.map((l) => [l.code, l.subject]), [
      [EventRejectCode.EDGE_MISMATCH, 'fs.events.edge-m'],
      [EventRejectCode.EDGE_MISMATCH, 'fs.events.edge-evil'],
      [EventRejectCode.EDGE_MISMATCH, 'fs.events.edge-m.extra'],
    ]);
    assert.match(letters[0]!.reason, /edge-evil/);

    assert.match(metrics, /fs_state_events_rejected_total\{reason="edge_mismatch"\} 3/);
    assert.match(metrics, /fs_state_deadlettered_total 3/);
    assert.doesNotMatch(metrics, /fs_state_malformed_messages_total\{/, 'they decoded: not counted as malformed');
    assert.ok(proc.logs.some((l) => l.msg === 'event batch naming another edge than its subject dead-lettered'));
    await nc.close();
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
