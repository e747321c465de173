// Everything bench/flood knows about starting flowshield: NATS, the challenge service, deploying a
// program, starting an edge and reading its metrics. The edge is changing (credentials, signed
// deployments, workers): adapt this file, not run.mjs. It follows bench/edge/run.mjs.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NatsTestServer, scrape } from '@flowshield/test-support';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** A child process whose JSON log lines (pino) are read all along, so its stdout never fills. */
function spawnLogged(args, env, onLine) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line;
    try { line = JSON.parse(text); } catch { return; }
    onLine(line);
  });
  return child;
}

function waitForLine(child, name, predicate, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready within ${timeoutMs / 1000} s`)), timeoutMs);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (code ${code}) before it was ready`)); });
    child.watchers.push((line) => { if (predicate(line)) { clearTimeout(timer); resolve(line); } });
  });
}

function start(name, args, env) {
  const watchers = [];
  const child = spawnLogged(args, env, (line) => { for (const w of watchers) w(line); });
  child.watchers = watchers;
  child.label = name;
  return child;
}

export class FlowshieldStack {
  constructor(dir) {
    this.dir = dir;
    this.children = [];
    this.nats = null;
  }

  /** nats-server with JetStream (test-support's), then the challenge service that hands keys to edges. */
  async startControlPlane() {
    this.nats = await NatsTestServer.start();
    const challenge = start('challenge', [join(ROOT, 'services/challenge/bin/challenge.js')], { NATS_URL: this.nats.url, FLOWSHIELD_CHALLENGE_METRICS_PORT: '0', LOG_LEVEL: 'info' });
    this.children.push(challenge);
    await waitForLine(challenge, 'challenge service', (l) => l.msg === 'challenge service ready');
    // Deployments are signed; the edges trust this run's operator key only.
    this.operatorKey = JSON.parse(this.cli(['keys', 'operator', 'init', '--out', this.dir, '--json'])).publicKey;
  }

  cli(args) {
    return execFileSync(process.execPath, [join(ROOT, 'cli/bin/flowshield.js'), ...args], { env: { ...process.env, NATS_URL: this.nats.url, FLOWSHIELD_OPERATOR_KEY: join(this.dir, 'operator.key') }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  }

  /** Compiles a C program with clang (through `flowshield compile`) and deploys it for a tenant. */
  deploy(programPath, tenant) {
    const object = join(this.dir, `${tenant}.o`);
    this.cli(['compile', programPath, '-o', object]);
    this.cli(['deploy', object, '--tenant', tenant]);
  }

  /**
   * One edge protecting `tenant` in front of the origin; resolves once it listens, runs the
   * deployed program and holds challenge keys. Returns { pid, port, metricsPort, stop }.
   */
  async startEdge({ tenant, originPort, service = {} }) {
    const config = join(this.dir, `edge-${tenant}.json`);
    writeFileSync(config, JSON.stringify({
      edgeId: `flood-${tenant}`,
      nats: { servers: [this.nats.url] },
      metrics: { port: 0 },
      operatorKeys: [this.operatorKey],
      // FLOOD_WORKERS sets the edge's packet workers (default: the edge's own, one per core).
      ...(process.env.FLOOD_WORKERS ? { workers: Number(process.env.FLOOD_WORKERS) } : {}),
      services: [{ tenant, listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: originPort }, challenges: { difficultyBits: 4, subPuzzles: 1 }, ...service }],
    }));
    const edge = start('edge', [...(process.env.FLOOD_EDGE_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FLOOD_EDGE_PROF] : []), join(ROOT, 'services/edge/bin/edge.js'), '--config', config], { LOG_LEVEL: 'info' });
    this.children.push(edge);
    const started = waitForLine(edge, 'edge', (l) => l.msg === 'edge started');
    const deployed = waitForLine(edge, 'edge', (l) => l.msg === 'program deployed');
    const line = await started;
    await deployed;
    const port = Number(line.services[0].listen.split(':').pop());
    const metricsPort = Number(new URL(line.metrics).port);
    const handle = { pid: edge.pid, port, metricsPort, tenant, stop: () => stopChild(edge) };
    for (let i = 0; i < 100 && (await edgeCounters(handle)).keys === 0; i++) await new Promise((r) => setTimeout(r, 100));
    return handle;
  }

  async stop() {
    await Promise.all(this.children.map(stopChild));
    await this.nats?.dispose();
  }
}

function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A profiled edge (FLOOD_EDGE_PROF) writes its profile on the way out: give it time.
    const timer = setTimeout(() => child.kill('SIGKILL'), process.env.FLOOD_EDGE_PROF ? 60_000 : 5_000);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Sums of a Prometheus counter's samples whose labels match, from /metrics text. */
function sum(text, name, match = () => true) {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    if (match(m[2] ?? '')) total += Number(m[3]);
  }
  return total;
}

/**
 * What the edge says it did: every datagram it read by verdict (`fs_edge_packets_total`, all
 * verdicts, including any it drops before the program), challenges, keys held, and what its
 * per-source tables hold (sessions, state overlay).
 */
export async function edgeCounters(edge) {
  const text = await scrape(edge.metricsPort);
  const byVerdict = {};
  for (const m of text.matchAll(/^fs_edge_packets_total\{([^}]*)\}\s+(\S+)/gm)) {
    const verdict = /verdict="([^"]*)"/.exec(m[1])?.[1] ?? '?';
    byVerdict[verdict] = (byVerdict[verdict] ?? 0) + Number(m[2]);
  }
  return {
    at: performance.now(),
    packets: Object.values(byVerdict).reduce((a, b) => a + b, 0),
    byVerdict,
    challengesSent: sum(text, 'fs_edge_challenges_sent_total'),
    sessions: sum(text, 'fs_edge_sessions', (labels) => labels.includes('kind="known"')),
    overlayEntries: sum(text, 'fs_edge_state_overlay_entries'),
    keys: sum(text, 'fs_edge_challenge_keys'),
    tableBytes: sum(text, 'fs_edge_table_bytes'),
    memoryBoundBytes: sum(text, 'fs_edge_memory_bound_bytes'),
    memoryOverBound: sum(text, 'fs_edge_memory_over_bound_total'),
    heapMiB: Object.fromEntries([...text.matchAll(/^fs_edge_thread_heap_bytes\{([^}]*)\}\s+(\S+)/gm)].map((m) => [
      `${/thread="([^"]*)"/.exec(m[1])?.[1]}.${/space="([^"]*)"/.exec(m[1])?.[1]}`, Number(m[2]) / 2 ** 20])),
  };
}

function children(pid) {
  const out = [];
  let tasks = [];
  try { tasks = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const task of tasks) {
    try { out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)); } catch { /* gone */ }
  }
  return out;
}

/** A process and all its descendants (an edge may run its workers as child processes). */
function tree(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]));
  return all;
}

/**
 * Peak and current resident memory (MiB) from /proc/<pid>/status: VmHWM and VmRSS of the process
 * (worker threads included), plus those of any child processes (the sum of their peaks bounds the
 * peak of their sum).
 */
export function memoryOf(pid) {
  let peakMiB = 0;
  let rssMiB = 0;
  const parts = { anonMiB: 0, fileMiB: 0, shmemMiB: 0 };
  const pids = tree(pid);
  for (const p of pids) {
    let status;
    try { status = readFileSync(`/proc/${p}/status`, 'utf8'); } catch { continue; }
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    peakMiB += kb('VmHWM') / 1024;
    rssMiB += kb('VmRSS') / 1024;
    parts.anonMiB += kb('RssAnon') / 1024;
    parts.fileMiB += kb('RssFile') / 1024;
    parts.shmemMiB += kb('RssShmem') / 1024;
  }
  return { peakMiB, rssMiB, ...parts, processes: pids.length };
}

/** CPU seconds (user + system) used so far by a process and its descendants, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid) {
  let ticks = 0;
  for (const p of tree(pid)) {
    let stat;
    try { stat = readFileSync(`/proc/${p}/stat`, 'utf8'); } catch { continue; }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}
