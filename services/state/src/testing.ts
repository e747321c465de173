/**
 * Helpers for this package's cross-process tests (not exported from the package entry): spawn
 * the built state service as a real process, publish events, and read a replica's facts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventPublisher } from '@flowshield/events';
import { ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';

export const STATE_BIN = fileURLToPath(new URL('../bin/state.js', import.meta.url));

export interface StateProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  metricsPort: number | null;
  exited: Promise<number | null>;
}

export async function spawnState(args: { url: string; db: string; replicaId: string; extra?: string[] }): Promise<StateProcess> {
  const child = spawn(process.execPath, [STATE_BIN, '--server', args.url, '--db', args.db, '--replica-id', args.replicaId, '--metrics-port', '0', ...(args.extra ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: StateProcess = { child, logs: [], metricsPort: null, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  let buffered = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          proc.logs.push(entry);
          if (entry.msg === 'metrics listening') proc.metricsPort = entry.port as number;
          if (entry.msg === 'state service started') resolve();
        } catch { /* not a log line */ }
      }
    });
    void proc.exited.then((code) => reject(new Error(`state service exited with ${code} before starting: ${stderr}`)));
  });
  await started;
  return proc;
}

export async function stopState(proc: StateProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  proc.child.kill(signal);
  await proc.exited;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface ReplicaFacts {
  digest: string;
  entries: number;
  appliedEvents: number;
  sequence: number;
}

/**
 * One reader per replica stays open for the test process's life. lmdb-js shares an environment
 * per process, so later opens reuse it; only a process's first open of an environment runs LMDB's
 * open, which stores its view of the last transaction in the shared lock file, unlocked: done
 * while a writer commits, it can set the writer back a commit (docs/architecture.md, "LMDB and
 * other processes"). Polling with a fresh open each time made that likely.
 */
const keptOpen = new Map<string, ReplicaReader>();

/** Opens the replica read-only for one look, as an edge would. Null while it does not exist yet. */
export async function replicaFacts(db: string, stream = 'FS_EVENTS'): Promise<ReplicaFacts | null> {
  let reader: ReplicaReader;
  try {
    if (!keptOpen.has(db)) keptOpen.set(db, ReplicaReader.open(db));
    reader = ReplicaReader.open(db);
  } catch {
    return null;
  }
  try {
    const { digest, entries } = reader.digest();
    return { digest, entries, appliedEvents: reader.appliedEvents(), sequence: reader.sequences()[stream] ?? 0 };
  } finally {
    await reader.close();
  }
}

/** A deterministic pseudo-random event stream over a limited IP pool, so registers get overwritten. */
export function* syntheticEvents(count: number, ipPool: number, seed = 1): Generator<Omit<StatusEvent, 'edgeId' | 'seq' | 'hlcWall' | 'hlcLogical'>> {
  let x = seed >>> 0 || 1;
  const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  for (let i = 0; i < count; i++) {
    const r = next() % ipPool;
    const status = (next() % 4) as Status;
    yield {
      tenant: r % 3 === 0 ? 'globex' : 'acme', ip: ipToBytes16(`10.${(r >> 16) & 255}.${(r >> 8) & 255}.${r & 255}`),
      prevStatus: Status.NONE, status, expiry: next() % 2 === 0 ? 0 : 2_000_000_000, reason: 1, programVersion: 1,
    };
  }
}

/** Publishes `count` synthetic events from each of `edges` edges and waits until all are acknowledged. */
export async function publishSynthetic(url: string, edges: string[], count: number, ipPool: number, seed = 1): Promise<void> {
  await Promise.all(edges.map(async (edgeId, k) => {
    const pub = new EventPublisher({ servers: url, edgeId, maxBatchEvents: 500 });
    let published = 0;
    for (const e of syntheticEvents(count, ipPool, seed + k * 7919)) {
      while (pub.publish(e) === null) await new Promise((r) => setTimeout(r, 5));
      if (++published % 5_000 === 0) await new Promise((r) => setImmediate(r));
    }
    await pub.close(60_000);
  }));
}
