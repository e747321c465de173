// bench/flood: the edge under a spoofed random-source flood, against a bare C relay, in one run.
// Usage (root: the sender uses a raw socket):
//   node bench/flood/run.mjs [--seconds 3] [--clients 8] [--client-rate 50] [--sources 1000000]
//                            [--few 4] [--payload 64] [--relay-workers 1] [--rounds 2] [--json]
// See README.md for what each figure means and how the load is bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FlowshieldStack, ROOT, cpuSecondsOf, edgeCounters, memoryOf } from './stack.mjs';
import { build, checkSpoofing, kernelDrops, runSender, startDaemon } from './native.mjs';
import { LegitClients } from './clients.mjs';

const { values: opt } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '8' },
    'client-rate': { type: 'string', default: '50' },
    sources: { type: 'string', default: '1000000' },
    few: { type: 'string', default: '4' },
    payload: { type: 'string', default: '64' },
    'relay-workers': { type: 'string', default: '1' },
    rounds: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(opt.seconds);
const K = Number(opt.clients);
const CLIENT_RATE = Number(opt['client-rate']);
const SOURCES = Number(opt.sources);
const FEW = Number(opt.few);
const PAYLOAD = Number(opt.payload);
const ROUNDS = Number(opt.rounds);
for (const [name, value, min] of [['seconds', SECONDS, 1], ['clients', K, 1], ['client-rate', CLIENT_RATE, 1], ['sources', SOURCES, 1], ['few', FEW, 1], ['payload', PAYLOAD, 0], ['rounds', ROUNDS, 1]]) {
  if (!(value >= min)) usage(`--${name} must be a number ≥ ${min}`);
}
if (SOURCES > 4_000_000) usage('--sources must be ≤ 4,000,000 (the relay table and the sender permutation are sized for it)');
function usage(message) {
  process.stderr.write(`bench/flood: ${message}\n`);
  process.exit(2);
}
/** A "few sources" flood still stops at this many packets, whatever the time limit. */
const FEW_COUNT = 20_000_000;
/** After the sender stops: time for queued datagrams and in-flight replies to be counted. */
const GRACE_MS = 800;
/** Rates are read between these points of a flood, away from its start and end. */
const SETTLE_MS = 400;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (text) => { if (!opt.json) process.stderr.write(`${text}\n`); };

const dir = mkdtempSync(join(tmpdir(), 'flowshield-bench-flood-'));
const stack = new FlowshieldStack(dir);
const daemons = [];
const clientSets = [];
// Each phase takes its sources from its own part of the sender's address permutation, so the
// "new sources" of one phase were never seen in an earlier one.
let nextFirst = 0;
// (The permutation has 2^24 entries; past 15M, below the spoofing check's range, it starts over.)
const takeSources = (n) => {
  if (nextFirst + n + 4096 > 15_000_000) nextFirst = 0;
  const first = nextFirst;
  nextFirst += n + 4096;
  return first;
};

/**
 * One flood against a target ({ port, counters() → { at, packets } }) while `clients` play.
 * Returns what the sender offered, what the target read (rate in the steady middle of the flood,
 * total once drained), kernel drops at its socket, and the clients' window.
 */
async function phase(target, flood, clients) {
  const first = takeSources(flood.sources);
  const before = await target.counters();
  const drops0 = kernelDrops(target.port);
  const mark0 = clients?.mark();
  const sending = runSender(bins.sender, { port: target.port, payload: PAYLOAD, seconds: SECONDS, first, ...flood });
  await sleep(SETTLE_MS);
  const a = await target.counters();
  const cpuA = cpuSecondsOf(target.pid);
  await sleep(SECONDS * 1000 - 2 * SETTLE_MS);
  const b = await target.counters();
  const cpuB = cpuSecondsOf(target.pid);
  const sent = await sending;
  const mark1 = clients?.mark();
  await sleep(GRACE_MS);
  const after = await target.counters();
  const mark2 = clients?.mark();
  const window = clients ? clients.window(mark0, mark1) : null;
  // The clients' own packets, from the first count to the last, are not the flood's.
  const legit = clients ? clients.window(mark0, mark2).sent : 0;
  const processed = Math.max(0, after.packets - before.packets - legit);
  return {
    offered: sent.sent,
    offeredRate: sent.rate,
    distinctSources: sent.distinctSources,
    rate: (b.packets - a.packets) / ((b.at - a.at) / 1000),
    // cores the target used meanwhile: below 1 on one worker means it was starved, not saturated
    cpu: (cpuB - cpuA) / ((b.at - a.at) / 1000),
    perCpuSecond: cpuB > cpuA ? (b.packets - a.packets) / (cpuB - cpuA) : NaN,
    processed,
    processedRatio: sent.sent ? processed / sent.sent : NaN,
    kernelDrops: kernelDrops(target.port) - drops0,
    clients: window,
    ...(after.byVerdict ? { verdicts: Object.fromEntries(Object.entries(after.byVerdict).map(([v, n]) => [v, n - (before.byVerdict[v] ?? 0)])), challengesSent: after.challengesSent - before.challengesSent } : {}),
  };
}

/**
 * Rounds of one phase: the best round's rates and counts (the one least slowed by whatever else
 * runs on the machine), the clients of every round pooled, and each round as a sample.
 */
function combine(rounds) {
  const best = rounds.reduce((a, b) => (b.rate > a.rate ? b : a));
  if (!best.clients) return { ...best, rounds };
  const rtts = rounds.flatMap((p) => p.clients.rtts).sort((a, b) => a - b);
  const sent = rounds.reduce((n, p) => n + p.clients.sent, 0);
  const received = rounds.reduce((n, p) => n + p.clients.received, 0);
  const q = (f) => (rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * f))] : NaN);
  const clients = { sent, received, deliveryRatio: sent ? received / sent : NaN, p50: q(0.5), p99: q(0.99), challenges: rounds.reduce((n, p) => n + p.clients.challenges, 0) };
  for (const p of rounds) delete p.clients.rtts;
  return { ...best, clients, rounds: rounds.map(({ rounds: _r, ...p }) => p) };
}

/** Clients alone, no flood: the latency baseline. */
async function quiet(clients) {
  const m0 = clients.mark();
  await sleep(SECONDS * 1000);
  const m1 = clients.mark();
  await sleep(GRACE_MS);
  return clients.window(m0, m1);
}

const connectClients = async (port, firstHost, challenge) => {
  const set = await LegitClients.connect({ count: K, port, firstHost, rate: CLIENT_RATE, challenge });
  clientSets.push(set);
  return set;
};

let bins;
const results = {};
try {
  const t0 = performance.now();
  bins = build(dir);
  results.spoofCheck = await checkSpoofing(bins.sender);
  if (results.spoofCheck.received < 0.99 * results.spoofCheck.sent || results.spoofCheck.distinct < 0.99 * results.spoofCheck.sent) {
    throw new Error(`spoofed datagrams do not arrive on this machine (${JSON.stringify(results.spoofCheck)}): see README.md, "Spoofed sources on lo"`);
  }
  const echo = await startDaemon(bins.echo, []);
  daemons.push(echo);
  const relayProc = await startDaemon(bins.relay, ['--origin', `127.0.0.1:${echo.port}`, '--sessions', String(Math.max(SOURCES, 1024)), '--workers', opt['relay-workers']]);
  daemons.push(relayProc);
  const relay = { pid: relayProc.pid, port: relayProc.port, counters: async () => { const c = await relayProc.counters(); return { at: c.at, packets: c.clientIn }; } };
  const sinkProc = await startDaemon(bins.relay, ['--origin', `127.0.0.1:${echo.port}`, '--sink', '1']);
  daemons.push(sinkProc);
  const sink = { pid: sinkProc.pid, port: sinkProc.port, counters: async () => { const c = await sinkProc.counters(); return { at: c.at, packets: c.clientIn }; } };

  log('starting nats-server, the challenge service and the edge (challenge.c) …');
  await stack.startControlPlane();
  stack.deploy(join(ROOT, 'programs/examples/challenge.c'), 'flood');
  const edgeProc = await stack.startEdge({ tenant: 'flood', originPort: echo.port });
  const edge = { pid: edgeProc.pid, port: edgeProc.port, counters: () => edgeCounters(edgeProc) };

  // Legitimate clients: 127.0.0.10.. through the edge, 127.0.0.40.. through the relay, 127.0.0.70.. straight to the origin.
  const viaEdge = await connectClients(edge.port, 10, true);
  const viaRelay = await connectClients(relay.port, 40, false);
  const direct = await connectClients(echo.port, 70, false);
  // The bound RSS must stay under: the edge as started (nothing flooded yet) plus every table at its configured bytes.
  const atStart = await edge.counters();
  results.edgeBaseline = { ...memoryOf(edgeProc.pid), tableBytes: atStart.tableBytes, heapMiB: atStart.heapMiB };
  log(`ready after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${K} clients verified by the edge; phases of ${SECONDS} s`);

  direct.play();
  results.direct = await quiet(direct);
  delete results.direct.rtts;
  await direct.close();

  // Saturation phases run as edge/relay pairs, ROUNDS times, so load from outside this run falls
  // on both alike; a figure is the best round (the least disturbed), the clients' figures pool all.
  viaEdge.play();
  viaRelay.play();
  const few = { sources: FEW, count: FEW_COUNT, fixedPorts: true };
  const many = { sources: SOURCES, count: SOURCES };
  const samples = { edgeFew: [], relayFew: [], sinkFew: [], edgeOverload: [], relayOverload: [], sinkOverload: [] };
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: a few sources as fast as the sender goes, edge, C relay, C sink …`);
    samples.edgeFew.push(await phase(edge, few, viaEdge));
    samples.relayFew.push(await phase(relay, few, viaRelay));
    samples.sinkFew.push(await phase(sink, few, null));
  }
  results.edgeFew = combine(samples.edgeFew);
  results.relayFew = combine(samples.relayFew);
  results.sinkFew = combine(samples.sinkFew);
  const capacity = results.edgeFew.rate;
  log(`${SOURCES} new sources at 0.8 × the edge's few-source capacity (${Math.round(0.8 * capacity)}/s), edge then C relay …`);
  results.edgeMany = await phase(edge, { ...many, rate: 0.8 * capacity }, viaEdge);
  results.relayMany = await phase(relay, { ...many, rate: 0.8 * capacity }, viaRelay);
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}: overload, new sources as fast as the sender goes, edge, C relay, C sink …`);
    samples.edgeOverload.push(await phase(edge, many, viaEdge));
    samples.relayOverload.push(await phase(relay, many, viaRelay));
    samples.sinkOverload.push(await phase(sink, many, null));
  }
  results.edgeOverload = combine(samples.edgeOverload);
  results.relayOverload = combine(samples.relayOverload);
  results.sinkOverload = combine(samples.sinkOverload);
  results.edgeMemory = memoryOf(edgeProc.pid);
  const held = await edge.counters();
  results.edgeTables = { sessions: held.sessions, overlayEntries: held.overlayEntries, heapMiB: held.heapMiB };
  results.edgeBound = { boundMiB: held.memoryBoundBytes / 2 ** 20, samplesOver: held.memoryOverBound };
  results.relayMemory = memoryOf(relayProc.pid);
  for (const p of [results.edgeMany, results.relayMany]) delete p.clients.rtts;
  results.elapsedSeconds = (performance.now() - t0) / 1000;
} finally {
  await Promise.allSettled(clientSets.map((c) => c.close()));
  await Promise.allSettled(daemons.map((d) => d.stop()));
  await stack.stop();
  rmSync(dir, { recursive: true, force: true });
}

report(results);

function report(r) {
  const target = (value, goal, text) => ({ value, target: text, met: Number.isFinite(value) && value >= goal });
  const figures = {
    rounds: ROUNDS,
    edgeFewSourcesPps: r.edgeFew.rate,
    edgeManySourcesPps: r.edgeOverload.rate,
    relayFewSourcesPps: r.relayFew.rate,
    relayManySourcesPps: r.relayOverload.rate,
    sinkFewSourcesPps: r.sinkFew.rate,
    sinkManySourcesPps: r.sinkOverload.rate,
    edgeVsSinkFewSources: r.edgeFew.rate / r.sinkFew.rate,
    edgeVsSinkManySources: r.edgeOverload.rate / r.sinkOverload.rate,
    edgeVsRelayPerCpuFewSources: r.edgeFew.perCpuSecond / r.relayFew.perCpuSecond,
    edgeVsRelayPerCpuManySources: r.edgeOverload.perCpuSecond / r.relayOverload.perCpuSecond,
    edgeVsRelayFewSources: target(r.edgeFew.rate / r.relayFew.rate, 0.9, '≥ 0.9×'),
    edgeVsRelayManySources: target(r.edgeOverload.rate / r.relayOverload.rate, 0.9, '≥ 0.9×'),
    manySourcesProcessedRatio: target(r.edgeMany.processedRatio, 0.9, '≥ 0.9× of offered (offered 0.8× few-source capacity)'),
    clientsDeliveryDuringFlood: target(r.edgeMany.clients.deliveryRatio, 0.99, '≥ 99%'),
    clientsDeliveryUnderOverload: target(r.edgeOverload.clients.deliveryRatio, 0.9, '≥ 90% (aim)'),
    clientsP99AddedVsDirectUs: r.edgeMany.clients.p99 - r.direct.p99,
    clientsP99AddedVsRelayUs: r.edgeMany.clients.p99 - r.relayMany.clients.p99,
    edgePeakRssMiB: r.edgeMemory.peakMiB,
    edgeRssBoundMiB: r.edgeBound.boundMiB,
    edgePeakRssUnderBound: { value: r.edgeMemory.peakMiB, target: "≤ the edge's bound (fs_edge_memory_bound_bytes), no sample over it", met: r.edgeBound.boundMiB > 0 && r.edgeMemory.peakMiB <= r.edgeBound.boundMiB && r.edgeBound.samplesOver === 0 },
    edgeRssGrowthMiB: r.edgeMemory.peakMiB - r.edgeBaseline.peakMiB,
    edgeTableMiB: r.edgeBaseline.tableBytes / 2 ** 20,
    edgeSessionsAtEnd: r.edgeTables.sessions,
  };
  const out = { config: { rounds: ROUNDS, seconds: SECONDS, clients: K, clientRate: CLIENT_RATE, sources: SOURCES, fewSources: FEW, payload: PAYLOAD }, figures, phases: r };
  if (opt.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  const n = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '—');
  const mark = (t) => `(target ${t.target}: ${t.met ? 'MET' : 'NOT MET'})`;
  const row = (name, p) => console.log(`${name.padEnd(30)} ${n(p.offeredRate).padStart(8)} ${n(p.rate).padStart(9)} ${n(p.cpu, 2).padStart(5)} ${pct(p.processedRatio).padStart(8)} ${n(p.kernelDrops).padStart(9)} ${n(p.distinctSources).padStart(9)}   ${p.clients ? `${pct(p.clients.deliveryRatio).padStart(7)} ${n(p.clients.p50).padStart(7)} ${n(p.clients.p99).padStart(8)} ${String(p.clients.challenges).padStart(5)}` : ''}`);
  console.log(`bench/flood: ${SECONDS} s phases (max-rate rows: best of ${ROUNDS} rounds, clients pooled), ${PAYLOAD}-byte datagrams, ${K} legitimate clients × ${CLIENT_RATE} pkt/s, ${FEW} "few" sources, up to ${SOURCES} new sources; whole run ${n(r.elapsedSeconds, 1)} s`);
  console.log(`${''.padEnd(30)} ${'offered/s'.padStart(8)} ${'read/s'.padStart(9)} ${'cpu'.padStart(5)} ${'read'.padStart(8)} ${'k-drops'.padStart(9)} ${'sources'.padStart(9)}   ${'clients'.padStart(7)} ${'p50 µs'.padStart(7)} ${'p99 µs'.padStart(8)} ${'chal.'.padStart(5)}`);
  console.log(`${'clients straight to the origin'.padEnd(30)} ${''.padStart(64)}   ${pct(r.direct.deliveryRatio).padStart(7)} ${n(r.direct.p50).padStart(7)} ${n(r.direct.p99).padStart(8)}`);
  row('edge, few sources, max rate', r.edgeFew);
  row('edge, new sources, 0.8× cap.', r.edgeMany);
  row('edge, new sources, overload', r.edgeOverload);
  row('C relay, few sources, max', r.relayFew);
  row('C relay, new sources, 0.8×', r.relayMany);
  row('C relay, new sources, overload', r.relayOverload);
  row('C sink, few sources, max', r.sinkFew);
  row('C sink, new sources, overload', r.sinkOverload);
  console.log('');
  console.log(`edge packets/s, few sources:      ${n(figures.edgeFewSourcesPps)} = ${n(figures.edgeVsRelayFewSources.value, 2)}× the C relay's ${n(figures.relayFewSourcesPps)} ${mark(figures.edgeVsRelayFewSources)}`);
  console.log(`edge packets/s, new sources:      ${n(figures.edgeManySourcesPps)} = ${n(figures.edgeVsRelayManySources.value, 2)}× the C relay's ${n(figures.relayManySourcesPps)} ${mark(figures.edgeVsRelayManySources)}`);
  console.log(`per CPU-second used:              edge ${n(r.edgeFew.perCpuSecond)} vs relay ${n(r.relayFew.perCpuSecond)} datagrams (${n(figures.edgeVsRelayPerCpuFewSources, 2)}×) from a few sources, ${n(r.edgeOverload.perCpuSecond)} vs ${n(r.relayOverload.perCpuSecond)} (${n(figures.edgeVsRelayPerCpuManySources, 2)}×) from new sources (less moved by outside load)`);
  console.log(`vs reading alone (C sink):       few sources ${n(figures.edgeVsSinkFewSources, 2)}× its ${n(figures.sinkFewSourcesPps)}, new sources ${n(figures.edgeVsSinkManySources, 2)}× its ${n(figures.sinkManySourcesPps)} (no target: the ceiling of reading and dropping)`);
  console.log(`new sources at 0.8× capacity:     edge read ${pct(figures.manySourcesProcessedRatio.value)} of what was offered ${mark(figures.manySourcesProcessedRatio)}`);
  console.log(`legitimate clients, that flood:   ${pct(figures.clientsDeliveryDuringFlood.value)} delivered ${mark(figures.clientsDeliveryDuringFlood)}; p99 added ${n(figures.clientsP99AddedVsDirectUs)} µs vs straight to the origin (no flood), ${n(figures.clientsP99AddedVsRelayUs)} µs vs the C relay under the same flood`);
  console.log(`legitimate clients, overload:     ${pct(figures.clientsDeliveryUnderOverload.value)} delivered ${mark(figures.clientsDeliveryUnderOverload)}`);
  console.log(`spoofed sources arrive:           ${r.spoofCheck.received} of ${r.spoofCheck.sent} test datagrams, from ${r.spoofCheck.distinct} distinct 127/8 addresses`);
  console.log(`edge peak RSS (VmHWM):            ${n(figures.edgePeakRssMiB, 1)} MiB; the edge's bound ${n(figures.edgeRssBoundMiB, 1)} MiB, ${r.edgeBound.samplesOver} samples over it ${mark(figures.edgePeakRssUnderBound)}; grew ${n(figures.edgeRssGrowthMiB, 1)} MiB past its ${n(r.edgeBaseline.peakMiB, 1)} MiB at start (tables at their configured bytes: ${n(figures.edgeTableMiB, 1)} MiB); holding ${n(r.edgeTables.sessions)} sessions and ${n(r.edgeTables.overlayEntries)} state-overlay entries at the end (C relay with a ${SOURCES}-session table: ${n(r.relayMemory.peakMiB, 1)} MiB)`);
}
