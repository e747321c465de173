import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, natsServerBinary } from '@flowshield/test-support';
import { accessConnectOptions, Role, writeSuperclusterFiles, type CredentialSet, type ServerAddress, type SuperclusterFiles } from '@flowshield/access';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Topology } from '@flowshield/proto';
import { ROOT, spawnProcess, until, type Proc } from './stack.js';

/*
 * The deploy/ supercluster on this machine for tests: every nats-server config rendered by
 * libs/access (writeSuperclusterFiles, as `flowshield start --regions` and deploy/nats), each
 * server a child process that can be killed and started again on the same ports and store, and
 * the services as processes connected to their region (state, challenge) or site (edges).
 */

const bin = (path: string) => join(ROOT, path);

/** One nats-server of the supercluster: kill() and start() keep its ports and its store. */
export class ClusterServer {
  private child: ChildProcess | null = null;
  constructor(readonly name: string, readonly region: string, readonly site: string | null, readonly file: string, readonly clientPort: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  start(): Promise<void> {
    if (this.child) return Promise.resolve();
    const child = spawn(natsServerBinary(), ['-c', this.file], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let tail = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server ${this.name} not ready within 60 s:\n${tail}`)), 60_000);
      createInterface({ input: child.stderr! }).on('line', (line) => {
        tail = `${tail.slice(-3000)}\n${line}`;
        if (/Server is ready/.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (this.child === child) this.child = null;
        reject(new Error(`nats-server ${this.name} exited with ${code}:\n${tail}`));
      });
    });
  }

  /** SIGKILL: a crash or a cut cable, not a graceful lame-duck stop. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

export interface SuperclusterOptions {
  topology: Topology;
  /** Servers per region (may differ between regions). */
  nodes: Record<string, number>;
  /** Edge users to create (each edge id gets its own seed). */
  edgeIds: string[];
}

export class Supercluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'flowshield-regions-'));
  readonly servers: ClusterServer[] = [];
  readonly procs: Proc[] = [];
  credentials!: CredentialSet;
  topologyFile!: string;
  operator!: { publicKey: string; keyFile: string };
  private constructor(readonly options: SuperclusterOptions) {}

  static async start(options: SuperclusterOptions): Promise<Supercluster> {
    const sc = new Supercluster(options);
    try {
      await sc.boot();
    } catch (err) {
      await sc.stop();
      throw err;
    }
    return sc;
  }

  private async boot(): Promise<void> {
    const { topology } = this.options;
    const address = async (): Promise<ServerAddress> => ({ host: '127.0.0.1', client: await freePort(), route: await freePort(), gateway: await freePort(), leaf: await freePort() });
    const nodes: Record<string, ServerAddress[]> = {};
    const sites: Record<string, ServerAddress> = {};
    for (const { region, sites: own } of topology.regions) {
      nodes[region] = [];
      for (let i = 0; i < (this.options.nodes[region] ?? 1); i++) nodes[region]!.push(await address());
      for (const site of own) sites[site] = await address();
    }
    const files: SuperclusterFiles = writeSuperclusterFiles(join(this.dir, 'access'), { topology, nodes, sites, edgeIds: this.options.edgeIds, storeRoot: join(this.dir, 'nats') });
    this.credentials = files.credentials;
    this.topologyFile = join(this.dir, 'topology.json');
    writeFileSync(this.topologyFile, JSON.stringify(topology));
    for (const s of files.servers) this.servers.push(new ClusterServer(s.name, s.region, s.site, s.file, s.config.port));
    await Promise.all(this.servers.map((s) => s.start()));
    // JetStream answers once the supercluster's meta leader is elected.
    const nc = await this.connectAs(Role.operator, this.regionUrls(topology.regions[0]!.region));
    try {
      await until(() => jetstreamManager(nc).then((jsm) => jsm.getAccountInfo()).then(() => true, () => false), 120_000, 'JetStream in the supercluster');
    } finally {
      await nc.close();
    }
    this.operator = JSON.parse(this.cli(['keys', 'operator', 'init', '--out', this.dir, '--json']));
  }

  server(name: string): ClusterServer {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name}`);
    return s;
  }

  regionUrls(region: string): string[] {
    return this.servers.filter((s) => s.region === region && s.site === null).map((s) => s.url);
  }

  siteUrl(site: string): string {
    return this.server(site).url;
  }

  creds(role: Role, edgeId?: string): string {
    if (role === Role.edge) return this.credentials.edges[edgeId!]!.file;
    return this.credentials[role as Exclude<Role, 'edge'>].file;
  }

  connectAs(role: Role, servers: string[], edgeId?: string): Promise<NatsConnection> {
    return connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true, ...accessConnectOptions({ role, edgeId, creds: this.creds(role, edgeId) }) });
  }

  /** A state service of `region` with its own replica folder, reading the region's aggregate. */
  async startState(region: string, id: string, extra: string[] = []): Promise<{ proc: Proc; db: string }> {
    const db = join(this.dir, `replica-${id}`);
    const replicas = String(Math.min(3, this.regionUrls(region).length));
    const proc = spawnProcess(`state-${id}`, [bin('services/state/bin/state.js'), '--server', this.regionUrls(region).join(','), '--db', db, '--replica-id', id,
      '--region', region, '--datacenter', `${region}-dc1`, '--topology', this.topologyFile, '--stream-replicas', replicas, '--metrics-port', '0',
      '--creds', this.creds(Role.state), ...extra]);
    this.procs.push(proc);
    await proc.waitFor((l) => l.msg === 'state service started', 120_000);
    return { proc, db };
  }

  async startChallenge(region: string): Promise<Proc> {
    const proc = spawnProcess('challenge', [bin('services/challenge/bin/challenge.js')], {
      NATS_URL: this.regionUrls(region).join(','),
      NATS_CREDS: this.creds(Role.challenge),
      FLOWSHIELD_CHALLENGE_MASTER_KEY: randomBytes(32).toString('hex'),
      FLOWSHIELD_CHALLENGE_METRICS_PORT: '0',
    });
    this.procs.push(proc);
    await proc.waitFor((l) => l.msg === 'challenge service ready', 60_000);
    return proc;
  }

  /** An edge at `site` (its region's) in front of `originPort`, reading `replicaPath`. */
  async startEdge(id: string, site: string, options: { replicaPath: string; tenant: string; originPort: number }): Promise<{ proc: Proc; port: number; metricsPort: number }> {
    const region = this.server(site).region;
    const metricsPort = await freePort();
    const config = {
      edgeId: id, region, datacenter: `${region}-dc1`,
      nats: { servers: [this.siteUrl(site)], creds: this.creds(Role.edge, id) },
      replicaPath: options.replicaPath,
      metrics: { port: metricsPort },
      operatorKeys: [this.operator.publicKey],
      services: [{
        tenant: options.tenant, listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: options.originPort },
        challenges: { difficultyBits: 8, subPuzzles: 4 }, limits: { challenges: { perSource: { perSecond: 50, burst: 50 } } },
      }],
    };
    const path = join(this.dir, `edge-${id}.json`);
    writeFileSync(path, JSON.stringify(config));
    const proc = spawnProcess(`edge-${id}`, [bin('services/edge/bin/edge.js'), '--config', path]);
    this.procs.push(proc);
    const started = await proc.waitFor((l) => l.msg === 'edge started', 60_000);
    return { proc, port: Number(String(started.services[0].listen).split(':').pop()), metricsPort };
  }

  /** `flowshield ARGS` as the operator against the first region's first server. */
  cli(args: string[]): string {
    return execFileSync(process.execPath, [bin('cli/bin/flowshield.js'), ...args], {
      env: { ...process.env, NATS_URL: this.regionUrls(this.options.topology.regions[0]!.region)[0]!, NATS_CREDS: this.creds(Role.operator), FLOWSHIELD_OPERATOR_KEY: this.operator?.keyFile ?? '' },
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    await Promise.all(this.servers.map((s) => s.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
