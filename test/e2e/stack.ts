import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NatsTestServer, freePort, scrape, testTimeout } from '@flowshield/test-support';
import { accessConnectOptions, type Role } from '@flowshield/access';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/*
 * The whole stack as real processes on this machine: nats-server (free port, JetStream, temporary
 * store), state services with their own LMDB replicas, the challenge service, edges, and the
 * `flowshield` command. Each process is spawned from its built bin and watched through its pino
 * log lines.
 */

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (path: string) => join(ROOT, path);

export interface Proc {
  name: string;
  child: ChildProcess;
  /** pino lines parsed so far */
  logs: Record<string, any>[];
  waitFor(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnProcess(name: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'info', ...env } });
  const logs: Record<string, any>[] = [];
  const waiters: { predicate: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }[] = [];
  const onLine = (line: string) => {
    let parsed: Record<string, any>;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = { msg: line };
    }
    logs.push(parsed);
    for (const w of [...waiters]) {
      if (w.predicate(parsed)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(parsed);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    child,
    logs,
    waitFor(predicate, timeoutMs = 60_000) {
      timeoutMs = testTimeout(timeoutMs);
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no matching log line within ${timeoutMs} ms; last lines:\n${logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`)), timeoutMs);
        waiters.push({ predicate, resolve: (l) => { clearTimeout(timer); resolve(l); } });
        child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}:\n${logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`)); });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export class Stack {
  readonly dir = mkdtempSync(join(tmpdir(), 'flowshield-e2e-'));
  readonly procs: Proc[] = [];
  nats!: NatsTestServer;

  /** The operator key pair, made by `flowshield keys operator init` in the stack's folder. */
  operator!: { publicKey: string; keyFile: string };

  /** nats-server with the production access control: a user per role and one per listed edge id. */
  async startNats(edgeIds: string[] = ['edge-a', 'edge-b', 'edge-c']): Promise<void> {
    this.nats = await NatsTestServer.start({ auth: { edgeIds } });
    this.operator = JSON.parse(this.cli(['keys', 'operator', 'init', '--out', this.dir, '--json']));
  }

  async startState(id: string): Promise<{ proc: Proc; db: string }> {
    const db = join(this.dir, `replica-${id}`);
    const proc = spawnProcess(`state-${id}`, [bin('services/state/bin/state.js'), '--server', this.nats.url, '--db', db, '--replica-id', id, '--metrics-port', '0', '--creds', this.nats.creds('state')]);
    this.procs.push(proc);
    await proc.waitFor((l) => l.msg === 'state service started');
    return { proc, db };
  }

  async startChallenge(): Promise<Proc> {
    const proc = spawnProcess('challenge', [bin('services/challenge/bin/challenge.js')], {
      NATS_URL: this.nats.url,
      NATS_CREDS: this.nats.creds('challenge'),
      FLOWSHIELD_CHALLENGE_MASTER_KEY: randomBytes(32).toString('hex'),
      FLOWSHIELD_CHALLENGE_METRICS_PORT: '0',
    });
    this.procs.push(proc);
    await proc.waitFor((l) => l.msg === 'challenge service ready');
    return proc;
  }

  /** An edge in front of `originPort`; returns the port clients send to. */
  /** Waits until an edge has applied its first deployment and holds challenge keys (from the challenge service's KV bucket). */
  async edgeReady(edge: { proc: Proc; metricsPort: number }): Promise<void> {
    await edge.proc.waitFor((l) => l.msg === 'program deployed');
    await until(async () => (await metric(edge.metricsPort, /fs_edge_challenge_keys (\d+)/)) > 0, 15_000, 'challenge keys at the edge');
  }

  async startEdge(id: string, options: { replicaPath: string | null; tenant: string; originPort: number; publicPort?: number; difficultyBits?: number }): Promise<{ proc: Proc; port: number; metricsPort: number }> {
    const metricsPort = await freePort();
    const config = {
      edgeId: id,
      nats: { servers: [this.nats.url], creds: this.nats.creds('edge', id) },
      replicaPath: options.replicaPath,
      metrics: { port: metricsPort },
      operatorKeys: [this.operator.publicKey],
      services: [{
        tenant: options.tenant,
        listen: { host: '127.0.0.1', port: 0 },
        ...(options.publicPort ? { public: { port: options.publicPort } } : {}),
        origin: { host: '127.0.0.1', port: options.originPort },
        challenges: { difficultyBits: options.difficultyBits ?? 8, subPuzzles: 4 },
        limits: { challenges: { perSource: { perSecond: 50, burst: 50 } } },
      }],
    };
    const path = join(this.dir, `edge-${id}.json`);
    writeFileSync(path, JSON.stringify(config));
    const proc = spawnProcess(`edge-${id}`, [bin('services/edge/bin/edge.js'), '--config', path]);
    this.procs.push(proc);
    const started = await proc.waitFor((l) => l.msg === 'edge started');
    const port = Number(String(started.services[0].listen).split(':').pop());
    return { proc, port, metricsPort };
  }

  /** A NATS connection in-process as a role (an edge: by id), with that role's credentials and inbox. */
  connectAs(role: Role, edgeId?: string): Promise<NatsConnection> {
    return connect({ servers: this.nats.url, ...accessConnectOptions({ role, edgeId, creds: this.nats.creds(role, edgeId) }) });
  }

  /** Runs `flowshield ARGS` against this stack's NATS as the operator; throws with its stderr when it fails. */
  cli(args: string[]): string {
    return execFileSync(process.execPath, [bin('cli/bin/flowshield.js'), ...args], {
      env: { ...process.env, NATS_URL: this.nats.url, NATS_CREDS: this.nats.creds('operator'), FLOWSHIELD_OPERATOR_KEY: this.operator?.keyFile ?? '' },
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  compile(example: string): string {
    const out = join(this.dir, example.replace(/\.c$/, '.o'));
    this.cli(['compile', join(ROOT, 'programs/examples', example), '-o', out]);
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    await this.nats?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + testTimeout(timeoutMs);
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await scrape(port);
  const match = pattern.exec(text);
  return match ? Number(match[1]) : 0;
}
