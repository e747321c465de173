#!/usr/bin/env node
// Event path benchmark: raw baselines and the real paths measured in one run, printed as ratios.
//   node bench/events/run.mjs [--events N] [--batch N]
// Needs the built packages (npx tsc -b libs/proto libs/events libs/replica services/state cli test/support)
// and the nats-server binary; starts its own nats-server on a free port with a temporary store.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { open } from 'lmdb';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { NatsTestServer } from '@flowshield/test-support';
import { EventPublisher, ensureEventStreams, eventStreamBounds } from '@flowshield/events';
import { encodeBatch, encodeEvent, ipToBytes16, EVENTS_STREAM } from '@flowshield/proto';
import { ReplicaReader, ReplicaWriter } from '@flowshield/replica';
import { replayInto } from '../../cli/dist/commands/replay.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '600000' }, batch: { type: 'string', default: '500' } } });
const TOTAL = Number(values.events);
const BATCH = Number(values.batch);
const IP_POOL = 200_000;
const EDGES = ['edge-a', 'edge-b', 'edge-c'];
const root = new URL('../../', import.meta.url).pathname;

function sampleEvent(i, edgeId = 'edge-a') {
  const r = (i * 2654435761) % IP_POOL;
  return {
    tenant: 'acme', ip: ipToBytes16(`10.${(r >> 16) & 255}.${(r >> 8) & 255}.${r & 255}`), prevStatus: 0, status: 1 + (i % 3),
    expiry: 0, hlcWall: 1_800_000_000_000 + i, hlcLogical: 0, edgeId, seq: i + 1, reason: 1, programVersion: 1,
  };
}

const fmt = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));
const verdict = (ratio, target) => (ratio >= target ? 'PASS' : 'BELOW TARGET');

/** Baseline 1: pipelined js.publish of batch-sized messages with message ids. */
async function rawPublish(url) {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw'] });
  const js = jetstream(nc);
  const payload = encodeBatch({ edgeId: 'edge-a', events: Array.from({ length: BATCH }, (_, i) => sampleEvent(i)) });
  const messages = Math.max(200, Math.floor(TOTAL / BATCH));
  const window = 64;
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: window }, async () => {
    while (next < messages) {
      const id = next++;
      await js.publish('bench.raw', payload, { msgID: `raw-${id}` });
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await jsm.streams.delete('BENCH_RAW');
  await nc.close();
  return { messages, bytes: payload.length, msgsPerSec: messages / seconds, eventsPerSec: (messages * BATCH) / seconds };
}

/** Baseline 2: plain LMDB puts of event-sized values, 10k per synchronous transaction. */
async function rawLmdb(dir) {
  const db = open({ path: dir }).openDB('bench', { keyEncoding: 'binary', encoding: 'binary' });
  const n = Math.min(TOTAL, 400_000);
  const items = Array.from({ length: n }, (_, i) => {
    const e = sampleEvent(i);
    const key = Buffer.alloc(5 + 16);
    key[0] = 4; key.write('acme', 1); key.set(e.ip, 5);
    return [key, Buffer.from(encodeEvent(e))];
  });
  const started = performance.now();
  for (let i = 0; i < n; i += 10_000) {
    db.transactionSync(() => { for (let k = i; k < Math.min(n, i + 10_000); k++) db.put(items[k][0], items[k][1]); });
  }
  const seconds = (performance.now() - started) / 1000;
  await db.close();
  return { puts: n, putsPerSec: n / seconds };
}

function spawnState(url, db) {
  const child = spawn(process.execPath, [join(root, 'services/state/bin/state.js'), '--server', url, '--db', db, '--replica-id', 'bench',
    '--metrics-port=-1', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function appliedEvents(db) {
  try {
    const r = ReplicaReader.open(db);
    try { return r.appliedEvents(); } finally { await r.close(); }
  } catch { return 0; }
}

/** The real path: EventPublisher (3 edges) -> JetStream -> state service process -> LMDB commit. */
async function endToEnd(url, db) {
  const nc = await connect({ servers: url });
  await ensureEventStreams(nc);
  await nc.close();
  const state = spawnState(url, db);
  await new Promise((r) => setTimeout(r, 700)); // let it position its consumer
  const perEdge = Math.floor(TOTAL / EDGES.length);
  const started = performance.now();
  await Promise.all(EDGES.map(async (edgeId, k) => {
    const pub = new EventPublisher({ servers: url, edgeId, maxBatchEvents: BATCH, maxBufferedEvents: 200_000 });
    for (let i = 0; i < perEdge; i++) {
      const e = sampleEvent(i + k * perEdge, edgeId);
      while (pub.publish({ ...e, hlcWall: undefined, hlcLogical: undefined }) === null) await new Promise((r) => setTimeout(r, 1));
      if (i % 20_000 === 0) await new Promise((r) => setImmediate(r));
    }
    await pub.close(60_000);
  }));
  const publishedAt = performance.now();
  const total = perEdge * EDGES.length;
  while ((await appliedEvents(db)) < total) {
    if (state.exitCode !== null) throw new Error(`state service exited with ${state.exitCode}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  state.kill('SIGTERM');
  await new Promise((r) => state.once('exit', r));
  return { events: total, eventsPerSec: total / seconds, publishSeconds: (publishedAt - started) / 1000, seconds };
}

/** Diagnostic: the merge alone (decoded events into LMDB in 128k-event transactions), no NATS. */
async function mergeOnly(dir) {
  const events = Array.from({ length: Math.min(TOTAL, 300_000) }, (_, i) => sampleEvent(i));
  const w = ReplicaWriter.open(dir);
  const started = performance.now();
  for (let i = 0; i < events.length; i += 128_000) w.merge({ stream: 'S', lastSequence: 0, messages: 1, events: events.slice(i, i + 128_000) });
  const seconds = (performance.now() - started) / 1000;
  await w.close();
  return { eventsPerSec: events.length / seconds };
}

async function replay(url, out) {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const bounds = await eventStreamBounds(nc, EVENTS_STREAM);
  const result = await replayInto(nc, out, Date.now() + 3_600_000);
  await nc.close();
  return { events: result.eventsMerged, messages: bounds.messages, eventsPerSec: result.eventsMerged / result.seconds, seconds: result.seconds };
}

const nats = await NatsTestServer.start();
const work = mkdtempSync(join(tmpdir(), 'flowshield-bench-events-'));
try {
  console.log(`flowshield event path bench: ${fmt(TOTAL)} events, ${BATCH} events per batch, ${EDGES.length} edges, ${fmt(IP_POOL)} IPs`);
  const pub = await rawPublish(nats.url);
  console.log(`raw JetStream async publish   ${fmt(pub.msgsPerSec)} msgs/s of ${pub.bytes} bytes = ${fmt(pub.eventsPerSec)} events/s  (baseline A)`);
  const lm = await rawLmdb(join(work, 'raw-lmdb'));
  console.log(`raw LMDB batched puts         ${fmt(lm.putsPerSec)} puts/s (10k per transaction)  (baseline B)`);
  const e2e = await endToEnd(nats.url, join(work, 'replica'));
  console.log(`end to end                    ${fmt(e2e.eventsPerSec)} events/s (publisher -> stream -> state service -> LMDB commit; ${e2e.seconds.toFixed(1)} s, publishing took ${e2e.publishSeconds.toFixed(1)} s)`);
  const rp = await replay(nats.url, join(work, 'replayed'));
  console.log(`replay into a fresh LMDB      ${fmt(rp.eventsPerSec)} events/s (${fmt(rp.events)} events from ${rp.messages} messages in ${rp.seconds.toFixed(1)} s)`);
  const mo = await mergeOnly(join(work, 'merge-only'));
  console.log(`merge alone (diagnostic)      ${fmt(mo.eventsPerSec)} events/s (read-compare-write per key in one transaction, no NATS)`);
  const r1 = e2e.eventsPerSec / pub.eventsPerSec;
  const r2 = rp.eventsPerSec / lm.putsPerSec;
  console.log('');
  console.log(`end to end / raw publish (events)  ${r1.toFixed(2)}x  target >= 0.50x  ${verdict(r1, 0.5)}`);
  console.log(`replay / raw LMDB writes           ${r2.toFixed(2)}x  target >= 0.50x  ${verdict(r2, 0.5)}`);
  console.log(`end to end / merge alone           ${(e2e.eventsPerSec / mo.eventsPerSec).toFixed(2)}x  (how close the pipeline gets to its LMDB bound)`);
} finally {
  await nats.dispose();
  rmSync(work, { recursive: true, force: true });
}
