import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams } from '@flowshield/events';
import { DEADLETTER_STREAM, encodeBatch, EVENTS_STREAM, ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { DiscardPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { replicaFacts, spawnState, stopState, waitFor } from './testing.js';

const event = (seq: number): StatusEvent => ({
  tenant: 'acme', ip: ipToBytes16(`192.0.2.${seq % 200}`), prevStatus: Status.NONE, status: Status.VERIFIED, expiry: 0,
  hlcWall: 3_000 + seq, hlcLogical: 0, edgeId: 'edge-l', seq, reason: 1, programVersion: 1,
});
const metric = (text: string, pattern: RegExp): number | null => {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : null;
};

test('state - stream limits are applied on start, an existing stream is updated in place, and messages a replica lost to them are counted', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-state-limits-'));
  try {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    // The streams exist already, with the defaults, holding 80 one-event batches.
    assert.deepEqual((await ensureEventStreams(nc)).actions, { [EVENTS_STREAM]: 'created', [DEADLETTER_STREAM]: 'created' });
    assert.deepEqual((await ensureEventStreams(nc)).actions, { [EVENTS_STREAM]: 'unchanged', [DEADLETTER_STREAM]: 'unchanged' });
    for (let seq = 1; seq <= 80; seq++) await js.publish('fs.events.edge-l', encodeBatch({ edgeId: 'edge-l', events: [event(seq)] }));
    const created = (await jsm.streams.info(EVENTS_STREAM)).state.first_seq;
    assert.equal(created, 1);

    // A replica started with tighter limits updates the stream: at most 50 messages, so the 30
    // oldest go before this new replica merged them (it has no snapshot to start from).
    const db = join(dir, 'replica');
    const limits = ['--events-max-bytes', '1MiB', '--events-max-msgs', '50', '--events-max-age-ms', '3600000', '--deadletter-max-msgs', '7', '--deadletter-max-bytes', '65536'];
    let proc = await spawnState({ url: nats.url, db, replicaId: 'lim', extra: ['--no-bootstrap', ...limits] });
    assert.deepEqual(proc.logs.find((l) => l.msg === 'event streams ready')?.streams, { [EVENTS_STREAM]: 'updated', [DEADLETTER_STREAM]: 'updated' });
    let info = await jsm.streams.info(EVENTS_STREAM);
    assert.equal(info.config.max_bytes, 1024 * 1024);
    assert.equal(info.config.max_msgs, 50);
    assert.equal(info.config.max_age, 3600 * 1e9);
    assert.equal(info.config.discard, DiscardPolicy.Old);
    assert.deepEqual([info.state.first_seq, info.state.last_seq, info.state.messages], [31, 80, 50], 'updated in place, not recreated');
    const dl = await jsm.streams.info(DEADLETTER_STREAM);
    assert.deepEqual([dl.config.max_msgs, dl.config.max_bytes, dl.config.discard], [7, 65536, DiscardPolicy.Old]);

    await waitFor(async () => (await replicaFacts(db))?.sequence === 80, 30_000, 'the replica to merge what is left');
    assert.equal((await replicaFacts(db))!.appliedEvents, 50);
    let text = await (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
    assert.equal(metric(text, /fs_state_stream_lost_messages_total\{stream="FS_EVENTS"\} (\d+)/), 30);
    assert.equal(metric(text, /fs_state_stream_messages\{stream="FS_EVENTS"\} (\d+)/), 50);
    assert.equal(metric(text, /fs_state_stream_first_sequence\{stream="FS_EVENTS"\} (\d+)/), 31);
    assert.ok(metric(text, /fs_state_stream_bytes\{stream="FS_EVENTS"\} (\d+)/)! > 0);
    assert.equal(metric(text, /fs_state_stream_limit\{stream="FS_EVENTS",limit="max_msgs"\} (\d+)/), 50);
    assert.equal(metric(text, /fs_state_stream_limit\{stream="FS_EVENTS",limit="max_bytes"\} (\d+)/), 1024 * 1024);
    assert.equal(metric(text, /fs_state_stream_limit\{stream="FS_EVENTS",limit="max_age_seconds"\} (\d+)/), 3600);
    assert.equal(metric(text, /fs_state_stream_limit\{stream="FS_EVENTS_DEADLETTER",limit="max_msgs"\} (\d+)/), 7);
    assert.ok(proc.logs.some((l) => l.msg?.toString().startsWith('the stream discarded events before this replica merged them') && l.lost === 30));

    // While the replica keeps up, the limit discarding old messages loses it nothing.
    for (let seq = 81; seq <= 120; seq++) await js.publish('fs.events.edge-l', encodeBatch({ edgeId: 'edge-l', events: [event(seq)] }));
    await waitFor(async () => (await replicaFacts(db))?.sequence === 120, 30_000, 'the replica to merge the new messages');
    // The stream gauges reuse one look at the streams for 500 ms: wait for a fresh one.
    await waitFor(async () => {
      text = await (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
      return metric(text, /fs_state_stream_first_sequence\{stream="FS_EVENTS"\} (\d+)/) === 71;
    }, 30_000, 'the stream gauges to show the discarded front');
    assert.equal(metric(text, /fs_state_stream_lost_messages_total\{stream="FS_EVENTS"\} (\d+)/), 30);
    assert.equal(metric(text, /fs_state_stream_first_sequence\{stream="FS_EVENTS"\} (\d+)/), 71);
    await stopState(proc);

    // Restarted with the defaults, the limits are updated again (no message limit); then unchanged.
    proc = await spawnState({ url: nats.url, db, replicaId: 'lim', extra: ['--no-bootstrap'] });
    assert.deepEqual(proc.logs.find((l) => l.msg === 'event streams ready')?.streams, { [EVENTS_STREAM]: 'updated', [DEADLETTER_STREAM]: 'updated' });
    info = await jsm.streams.info(EVENTS_STREAM);
    assert.deepEqual([info.config.max_msgs, info.config.max_bytes, info.config.max_age], [-1, 1024 ** 3, 30 * 24 * 3600 * 1e9]);
    assert.deepEqual([info.state.first_seq, info.state.messages], [71, 50]);
    text = await (await fetch(`http://127.0.0.1:${proc.metricsPort}/metrics`)).text();
    assert.equal(metric(text, /fs_state_stream_lost_messages_total\{stream="FS_EVENTS"\} (\d+)/), null, 'an up-to-date replica lost nothing');
    assert.equal(metric(text, /fs_state_stream_limit\{stream="FS_EVENTS",limit="max_msgs"\} (\d+)/), 0);
    await stopState(proc);
    proc = await spawnState({ url: nats.url, db, replicaId: 'lim', extra: ['--no-bootstrap'] });
    assert.deepEqual(proc.logs.find((l) => l.msg === 'event streams ready')?.streams, { [EVENTS_STREAM]: 'unchanged', [DEADLETTER_STREAM]: 'unchanged' });
    await stopState(proc);
    assert.equal((await replicaFacts(db))!.appliedEvents, 90);
    await nc.close();
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
