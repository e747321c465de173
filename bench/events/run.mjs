#!/usr/bin/env node
// Event path benchmark: raw baselines and the real paths measured in one run, printed as ratios.
//   node bench/events/run.mjs [--events N] [--batch N] [--merge-batch N] [--probes N] [--load-rate N] [--snapshot-entries N]
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
import { EventPublisher, ensureEventStreams, eventStreamBounds, openSnapshotStore } from '@flowshield/events';
import { encodeBatch, encodeRegister, ipToBytes16, EVENTS_STREAM } from '@flowshield/proto';
import { ReplicaReader, ReplicaWriter, statusKey } from '@flowshield/replica';
import { replayInto } from '../../cli/dist/commands/replay.js';
import { bootstrapReplica, snapshotReplica } from '../../services/state/dist/snapshotter.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '600000' }, batch: { type: 'string', default: '500' }, 'merge-batch': { type: 'string', default: '50000' },
    probes: { type: 'string', default: '300' }, 'load-rate': { type: 'string', default: '5000' }, 'snapshot-entries': { type: 'string', default: '10000000' },
  },
});
const TOTAL = Number(values.events);
const BATCH = Number(values.batch);
const MERGE_BATCH = Number(values['merge-batch']);
const PROBES = Number(values.probes);
const LOAD_RATE = Number(values['load-rate']);
const SNAPSHOT_ENTRIES = Number(values['snapshot-entries']);
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

/**
 * Baseline B and the merge, on the same events cut into the same batches (MERGE_BATCH events, one
 * transaction each), in three passes over one store each:
 *   fresh  - into an empty store (every key new);
 *   live   - the same keys again with newer events (keys present, events above the high-water mark);
 *   late   - the first pass's events once more (every one at or below the mark: read, compared, ignored).
 * Raw puts write each event's (key, register) as it comes, no read and no merge: what LMDB costs alone.
 */
function mergePasses() {
  const n = Math.min(TOTAL, 400_000);
  const fresh = Array.from({ length: n }, (_, i) => sampleEvent(i));
  const live = fresh.map((e) => ({ ...e, hlcWall: e.hlcWall + 10 * n, seq: e.seq + n }));
  return { n, passes: [['fresh', fresh], ['live', live], ['late', fresh]] };
}

function batchesOf(events) {
  const out = [];
  for (let i = 0; i < events.length; i += MERGE_BATCH) out.push(events.slice(i, i + MERGE_BATCH));
  return out;
}

/**
 * Raw LMDB puts, three ways, each into its own store; the fastest is baseline B:
 *   as-they-come - one synchronous transaction per batch, puts in arrival order;
 *   key-order    - the same with each batch sorted by key beforehand (the sort not timed);
 *   async        - lmdb's batched asynchronous puts (one transaction per batch on its write thread).
 * All with the replica's durability (default open options: every commit synced to disk); noSync
 * or useWritemap would not be the same write (the first gives durability up, the second was no
 * faster here). The merge runs its passes between them, so load swings hit both alike.
 */
const RAW_MODES = {
  'as-they-come': (root, db, batch) => root.transactionSync(() => { for (const [k, v] of batch) db.put(k, v); }),
  'key-order': (root, db, batch) => root.transactionSync(() => { for (const [k, v] of batch.sorted) db.put(k, v); }),
  async: (root, db, batch) => { let last; for (const [k, v] of batch) last = db.put(k, v); return last; },
};

async function lmdbPasses(work) {
  const { n, passes } = mergePasses();
  const raw = Object.keys(RAW_MODES).map((mode) => {
    const root = open({ path: join(work, `raw-${mode}`), maxDbs: 4 });
    return { mode, root, db: root.openDB('status', { keyEncoding: 'binary', encoding: 'binary' }) };
  });
  const w = ReplicaWriter.open(join(work, 'merge-only'));
  const out = { raw: {}, best: {}, merge: {} };
  for (const [name, events] of passes) {
    const batches = batchesOf(events.map((e) => [statusKey(e.tenant, e.ip), Buffer.from(encodeRegister(e))]));
    for (const b of batches) b.sorted = [...b].sort((x, y) => Buffer.compare(x[0], y[0]));
    out.raw[name] = {};
    for (const { mode, root, db } of raw) {
      const started = performance.now();
      for (const b of batches) await RAW_MODES[mode](root, db, b);
      out.raw[name][mode] = n / ((performance.now() - started) / 1000);
    }
    const best = Object.entries(out.raw[name]).sort((x, y) => y[1] - x[1])[0];
    out.best[name] = { mode: best[0], eventsPerSec: best[1] };
    // The merge as the state service calls it (mergeAsync, one at a time).
    let unread = 0;
    const started = performance.now();
    for (const b of batchesOf(events)) unread += (await w.mergeAsync({ stream: 'S', lastSequence: 0, messages: 1, events: b })).unread;
    out.merge[name] = { eventsPerSec: n / ((performance.now() - started) / 1000), unread };
  }
  await Promise.all([...raw.map((r) => r.root.close()), w.close()]);
  return out;
}

function spawnState(url, db) {
  // BENCH_CPU_PROF=dir profiles the state service (node --cpu-prof) where the figures fall short.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, join(root, 'services/state/bin/state.js'), '--server', url, '--db', db, '--replica-id', 'bench',
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
  // Made before the clock starts: an edge's packet path hands the publisher ready events, it does not parse IPs from text.
  const events = EDGES.map((edgeId, k) => Array.from({ length: perEdge }, (_, i) => ({ ...sampleEvent(i + k * perEdge, edgeId), hlcWall: undefined, hlcLogical: undefined })));
  const started = performance.now();
  await Promise.all(EDGES.map(async (edgeId, k) => {
    const pub = new EventPublisher({ servers: url, edgeId, maxBatchEvents: BATCH, maxBufferedEvents: 200_000 });
    for (let i = 0; i < perEdge; i++) {
      while (pub.publish(events[k][i]) === null) await new Promise((r) => setTimeout(r, 1));
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

async function replay(url, out) {
  const nc = await connect({ servers: url, noAsyncTraces: true });
  const bounds = await eventStreamBounds(nc, EVENTS_STREAM);
  const result = await replayInto(nc, out, Date.now() + 3_600_000);
  await nc.close();
  return { events: result.eventsMerged, messages: bounds.messages, eventsPerSec: result.eventsMerged / result.seconds, seconds: result.seconds };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

/**
 * Publish -> visible in the replica: a probe edge publishes one event every 10 ms (through
 * EventPublisher, so its batching delay counts) while a load edge publishes LOAD_RATE events/s;
 * a ReplicaReader, as an edge on the same host opens it, polls every millisecond.
 */
async function visibility(url, db) {
  const state = spawnState(url, db);
  try {
    // A new replica first merges what the stream holds (the earlier runs): probe once it caught up.
    const nc = await connect({ servers: url });
    const { lastSeq } = await eventStreamBounds(nc, EVENTS_STREAM);
    await nc.close();
    let reader = null;
    while (!reader) reader = await sleep(20).then(() => ReplicaReader.open(db), () => null).catch(() => null);
    while ((reader.sequences()[EVENTS_STREAM] ?? 0) < lastSeq) await sleep(20);
    const load = new EventPublisher({ servers: url, edgeId: 'edge-load', maxBatchEvents: BATCH, maxBufferedEvents: 200_000 });
    const probe = new EventPublisher({ servers: url, edgeId: 'edge-probe' });
    let loading = true;
    const loadLoop = (async () => {
      for (let i = 0; loading; i++) {
        for (let k = 0; k < LOAD_RATE / 100; k++) load.publish({ ...sampleEvent(i * 1_000 + k, 'edge-load'), hlcWall: undefined, hlcLogical: undefined });
        await sleep(10);
      }
    })();
    const outstanding = new Map();
    const latencies = [];
    const poll = setInterval(() => {
      const now = performance.now();
      for (const [i, { ip, at }] of outstanding) {
        if (reader.lookup('probe', ip) !== null) {
          latencies.push(now - at);
          outstanding.delete(i);
        }
      }
    }, 1);
    for (let i = 0; i < PROBES; i++) {
      const ip = ipToBytes16(`172.16.${i >> 8}.${i & 255}`);
      outstanding.set(i, { ip, at: performance.now() });
      probe.publish({ tenant: 'probe', ip, prevStatus: 0, status: 2, expiry: 0, reason: 1, programVersion: 1 });
      await sleep(10);
    }
    const deadline = Date.now() + 30_000;
    while (outstanding.size > 0 && Date.now() < deadline) await sleep(5);
    clearInterval(poll);
    loading = false;
    await loadLoop;
    await Promise.all([load.close(30_000), probe.close(30_000)]);
    await reader.close();
    latencies.sort((a, b) => a - b);
    return { samples: latencies.length, missing: outstanding.size, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) };
  } finally {
    state.kill('SIGTERM');
    await new Promise((r) => state.once('exit', r));
  }
}

/** IPv6 2001:db8::/32 addresses numbered in key order, so building the source replica appends. */
function numberedIp(k) {
  const ip = new Uint8Array(16);
  ip.set([0x20, 0x01, 0x0d, 0xb8]);
  new DataView(ip.buffer).setUint32(12, k);
  return ip;
}

/**
 * A replica of SNAPSHOT_ENTRIES registers is snapshotted into the object store, then a new replica
 * bootstraps from it (services/state's bootstrapReplica: download, digest check against the
 * manifest, move into place; a progress bar on stderr when it is a terminal). Baseline: reading
 * the same data object from the object store and discarding it.
 */
async function snapshotBootstrap(url, work) {
  const src = join(work, 'snap-src');
  const w = ReplicaWriter.open(src);
  let started = performance.now();
  for (let i = 0; i < SNAPSHOT_ENTRIES; i += 100_000) {
    const events = Array.from({ length: Math.min(100_000, SNAPSHOT_ENTRIES - i) }, (_, j) => ({
      tenant: 'acme', ip: numberedIp(i + j), prevStatus: 0, status: 2, expiry: 0, hlcWall: 1_800_000_000_000 + i + j, hlcLogical: 0,
      edgeId: 'edge-a', seq: i + j + 1, reason: 1, programVersion: 1,
    }));
    w.merge({ stream: EVENTS_STREAM, lastSequence: i / 100_000 + 1, messages: 1, events });
  }
  await w.close();
  const buildSeconds = (performance.now() - started) / 1000;
  const nc = await connect({ servers: url, noAsyncTraces: true });
  try {
    started = performance.now();
    const manifest = await snapshotReplica(nc, src, 'bench');
    const createSeconds = (performance.now() - started) / 1000;
    rmSync(src, { recursive: true, force: true });
    started = performance.now();
    const object = await (await openSnapshotStore(nc)).get(manifest.dataObject);
    let bytes = 0;
    for await (const chunk of object.data) bytes += chunk.length;
    const rawSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const restored = await bootstrapReplica(nc, join(work, 'snap-new'));
    const bootstrapSeconds = (performance.now() - started) / 1000;
    if (restored?.digest !== manifest.digest) throw new Error('bootstrap restored another snapshot');
    return { entries: manifest.entries, bytes, buildSeconds, createSeconds, rawSeconds, bootstrapSeconds };
  } finally {
    await nc.close();
  }
}

const nats = await NatsTestServer.start();
const work = mkdtempSync(join(tmpdir(), 'flowshield-bench-events-'));
const line = (label, text) => console.log(`${label.padEnd(34)}${text}`);
const ratio = (label, value, target) => line(label, `${value.toFixed(2)}x${target === undefined ? '' : `  target >= ${target.toFixed(2)}x  ${verdict(value, target)}`}`);
try {
  console.log(`flowshield event path bench: ${fmt(TOTAL)} events, ${BATCH} events per batch, ${EDGES.length} edges, ${fmt(IP_POOL)} IPs; merge batches of ${fmt(MERGE_BATCH)}`);
  const pub = await rawPublish(nats.url);
  line('raw JetStream async publish', `${fmt(pub.msgsPerSec)} msgs/s of ${pub.bytes} bytes = ${fmt(pub.eventsPerSec)} events/s  (baseline A)`);
  const passes = await lmdbPasses(work);
  for (const name of ['fresh', 'live', 'late']) {
    line(`raw LMDB puts, ${name}`, Object.entries(passes.raw[name]).map(([mode, r]) => `${mode} ${fmt(r)}/s`).join(', '));
  }
  const lm = Object.fromEntries(Object.entries(passes.best).map(([k, v]) => [k, v.eventsPerSec]));
  line('raw LMDB batched puts', `fresh ${fmt(lm.fresh)}/s, live ${fmt(lm.live)}/s, late ${fmt(lm.late)}/s  (baseline B: the fastest of those, ${fmt(MERGE_BATCH)} puts per transaction)`);
  const mo = passes.merge;
  line('merge (ReplicaWriter)', `fresh ${fmt(mo.fresh.eventsPerSec)}/s, live ${fmt(mo.live.eventsPerSec)}/s, late ${fmt(mo.late.eventsPerSec)}/s  (keys written unread: ${fmt(mo.fresh.unread)}, ${fmt(mo.live.unread)}, ${fmt(mo.late.unread)})`);
  const e2e = await endToEnd(nats.url, join(work, 'replica'));
  line('end to end', `${fmt(e2e.eventsPerSec)} events/s (publisher -> stream -> state service -> LMDB commit; ${e2e.seconds.toFixed(1)} s, publishing took ${e2e.publishSeconds.toFixed(1)} s)`);
  const rp = await replay(nats.url, join(work, 'replayed'));
  line('replay into a fresh LMDB', `${fmt(rp.eventsPerSec)} events/s (${fmt(rp.events)} events from ${rp.messages} messages in ${rp.seconds.toFixed(1)} s)`);
  const vis = await visibility(nats.url, join(work, 'visible'));
  line('publish -> visible in the replica', `p50 ${vis.p50.toFixed(1)} ms, p99 ${vis.p99.toFixed(1)} ms, max ${vis.max.toFixed(1)} ms (${vis.samples} probes${vis.missing ? `, ${vis.missing} never seen` : ''}, under ${fmt(LOAD_RATE)} events/s of load)`);
  const snap = SNAPSHOT_ENTRIES > 0 ? await snapshotBootstrap(nats.url, work) : null;
  if (snap) {
    line('snapshot bootstrap', `${fmt(snap.entries)} entries (${(snap.bytes / 1_048_576).toFixed(0)} MiB) in ${snap.bootstrapSeconds.toFixed(1)} s; raw object-store read ${snap.rawSeconds.toFixed(1)} s; snapshot create ${snap.createSeconds.toFixed(1)} s; building the source ${snap.buildSeconds.toFixed(1)} s`);
  }
  console.log('');
  ratio('end to end / raw publish (events)', e2e.eventsPerSec / pub.eventsPerSec, 0.5);
  line('end to end, absolute', `${fmt(e2e.eventsPerSec)} events/s  target >= 500k  ${e2e.eventsPerSec >= 500_000 ? 'PASS' : 'BELOW TARGET'}`);
  ratio('merge / raw LMDB puts (fresh)', mo.fresh.eventsPerSec / lm.fresh, 0.5);
  ratio('merge / raw LMDB puts (live)', mo.live.eventsPerSec / lm.live, 0.5);
  ratio('merge / raw LMDB puts (late)', mo.late.eventsPerSec / lm.late);
  ratio('replay / raw LMDB puts (fresh)', rp.eventsPerSec / lm.fresh, 0.5);
  line('publish -> visible p99', `${vis.p99.toFixed(1)} ms  target <= 50 ms  ${vis.p99 <= 50 && vis.missing === 0 ? 'PASS' : 'BELOW TARGET'}`);
  if (snap) {
    ratio('bootstrap / raw object-store read', snap.rawSeconds / snap.bootstrapSeconds);
    line(`bootstrap of ${fmt(snap.entries)} entries`, `${snap.bootstrapSeconds.toFixed(1)} s  target <= 30 s for 10M  ${snap.entries >= 10_000_000 && snap.bootstrapSeconds <= 30 ? 'PASS' : 'BELOW TARGET'}`);
  }
} finally {
  await nats.dispose();
  rmSync(work, { recursive: true, force: true });
}
