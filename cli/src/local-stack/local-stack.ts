import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { accessConnectOptions, Role, writeAccessFiles, writeSuperclusterFiles, type ServerAddress } from '@flowshield/access';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { CliError } from '../errors.js';
import { ensureOperatorKeyPair } from '../commands/operator-key.js';
import { StackChild } from './child.js';
import { removeStackFile, writeStackFile, type StackFile } from './stack-file.js';

/** The repository root: the stack runs the services' built entry points from it. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface LocalStackOptions {
  dataDir: string;
  /** an existing NATS to use instead of starting one */
  server: string | null;
  /** with `server`: the credentials file every role uses there (none are generated for a server started elsewhere) */
  creds: string | null;
  natsPort: number;
  edgePort: number;
  originPort: number;
  tenant: string;
  program: string;
  verbose: boolean;
  /** Regions of a local supercluster (1: one nats-server, the single-region stack). */
  regions: number;
  /** Servers per region's cluster (3: R3 streams). */
  nodes: number;
}

/** The NATS side of a stack: per region where its services and its edge connect, and the credentials. */
interface StackNats {
  regions: { region: string; urls: string[]; edgeUrl: string }[];
  credentials: StackFile['credentials'];
  /** The topology file the state services read; null on one server. */
  topology: string | null;
  /** Each edge's own seed file, by edge id (the supercluster has one edge per region). */
  edgeCreds: Record<string, string>;
}

function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

async function pick(port: number, free: (p: number) => Promise<boolean>): Promise<number> {
  for (let p = port; p < port + 100; p++) if (await free(p)) return p;
  throw new CliError('FS_ERR_CLI_NO_PORT', `no free port from ${port} to ${port + 99}`);
}

async function jetStreamAnswering(servers: string[], creds: string, timeoutMs = 120_000): Promise<void> {
  const nc = await connect({ servers, ...accessConnectOptions({ role: Role.operator, creds }) });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await (await jetstreamManager(nc)).getAccountInfo();
        return;
      } catch (err) {
        if (Date.now() > deadline) throw new CliError('FS_ERR_CLI_NATS', `JetStream did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await nc.close();
  }
}

function natsServerBinary(): string {
  for (const candidate of [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return 'nats-server';
}

/** The game server of the demo: echoes every datagram it gets. */
function startEchoOrigin(port: number): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (data, rinfo) => socket.send(Buffer.concat([Buffer.from('echo: '), data]), rinfo.port, rinfo.address));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => resolve(socket));
  });
}

/**
 * `flowshield start`: nats-server (unless one is given), the state service, the challenge service,
 * an echo game server, the example program deployed, and one edge in front of the game server.
 * Resolves once everything is up; `stop()` takes it down in reverse order.
 */
const EDGE_ID = 'local-edge';

export class LocalStack {
  private readonly children: StackChild[] = [];
  private origin: Socket | null = null;
  summary: string[] = [];
  /** What stack.json says, once everything is ready. */
  stackFile: StackFile | null = null;

  constructor(private readonly options: LocalStackOptions) {}

  private show = (name: string, line: Record<string, unknown>) => {
    const level = Number(line.level ?? 30);
    if (!this.options.verbose && level < 40) return;
    const { msg, level: _l, time: _t, pid: _p, hostname: _h, name: _n, ...rest } = line;
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    process.stderr.write(`[${name}] ${String(msg ?? '')}${extra}\n`);
  };

  private spawn(name: string, script: string, args: string[], env: Record<string, string> = {}): StackChild {
    const child = new StackChild(name, process.execPath, [join(ROOT, script), ...args], { env, show: this.show });
    this.children.push(child);
    return child;
  }

  async start(): Promise<void> {
    const o = this.options;
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    removeStackFile(o.dataDir); // a stale one would point the CLI at a stack that is not up yet
    const nats = o.regions > 1 || o.nodes > 1 ? await this.startSupercluster() : await this.startOneServer();
    const { credentials } = nats;
    const natsUrl = nats.regions[0]!.urls[0]!;
    const [challengeMetrics] = [await pick(9475, portFree)];
    const challenge = this.spawn('challenge', 'services/challenge/bin/challenge.js', [], {
      NATS_URL: nats.regions[0]!.urls.join(','),
      NATS_CREDS: credentials.challenge ?? '',
      FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE: this.masterKeyFile(),
      FLOWSHIELD_CHALLENGE_METRICS_PORT: String(challengeMetrics),
    });
    await challenge.waitFor((l) => l.msg === 'challenge service ready', 60_000);
    // The deployment's bucket (and the challenge service's) exist before the state services mirror
    // them into the leaf sites: the server retries a mirror of a missing stream only after a backoff.
    const originPort = await pick(o.originPort, udpPortFree);
    this.origin = await startEchoOrigin(originPort);
    const object = join(o.dataDir, 'program.o');
    const cli = join(ROOT, 'cli/bin/flowshield.js');
    // The operator key signs the demo deployment; the edge trusts only its public key.
    const operator = ensureOperatorKeyPair(o.dataDir);
    const run = (args: string[]) => execFileSync(process.execPath, [cli, ...args], {
      env: { ...process.env, NATS_URL: natsUrl, NATS_CREDS: credentials.operator ?? '', FLOWSHIELD_OPERATOR_KEY: operator.keyFile }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    });
    run(['compile', o.program, '-o', object]);
    // The deploy also creates fs-programs, which the edge may only open: it must exist first.
    const deployed = JSON.parse(run(['deploy', object, '--tenant', o.tenant, '--deployed-by', 'flowshield start', '--json'])) as { version: number; sha256: string };

    const states = [];
    for (const r of nats.regions) {
      const metrics = await pick(9465 + states.length * 100, portFree);
      const db = join(o.dataDir, nats.topology ? `state-${r.region}` : 'state');
      const place = nats.topology ? ['--region', r.region, '--datacenter', `${r.region}-dc1`, '--replica-id', `replica-${r.region}`, '--topology', nats.topology, '--stream-replicas', String(o.nodes)] : [];
      const child = this.spawn(nats.topology ? `state-${r.region}` : 'state', 'services/state/bin/state.js', [
        '--server', r.urls.join(','), '--db', db, '--metrics-port', String(metrics), ...place, ...(credentials.state ? ['--creds', credentials.state] : []),
      ], { NATS_CREDS: '' });
      states.push({ region: r, db, metrics, child });
    }
    await Promise.all(states.map((s) => s.child.waitFor((l) => l.msg === 'state service started', 120_000)));

    const edges: StackFile['edges'] = [];
    for (const { region, db } of states) {
      const id = nats.topology ? `edge-${region.region}` : EDGE_ID;
      const edgePort = await pick(o.edgePort + edges.length, udpPortFree);
      const edgeMetrics = await pick(9485 + edges.length * 100, portFree);
      const edgeConfig = {
        edgeId: id,
        ...(nats.topology ? { region: region.region, datacenter: `${region.region}-dc1` } : {}),
        nats: { servers: [region.edgeUrl], creds: nats.topology ? nats.edgeCreds[id] : credentials.edge },
        replicaPath: db,
        metrics: { port: edgeMetrics },
        operatorKeys: [operator.signer.publicKeyText],
        services: [{ tenant: o.tenant, listen: { host: '127.0.0.1', port: edgePort }, origin: { host: '127.0.0.1', port: originPort } }],
      };
      const configPath = join(o.dataDir, nats.topology ? `${id}.json` : 'edge.json');
      writeFileSync(configPath, JSON.stringify(edgeConfig, null, 2), { mode: 0o600 });
      const edge = this.spawn(nats.topology ? id : 'edge', 'services/edge/bin/edge.js', ['--config', configPath], { NATS_CREDS: '' });
      await edge.waitFor((l) => l.msg === 'edge started');
      await edge.waitFor((l) => l.msg === 'program deployed', 120_000);
      edges.push({ id, region: nats.topology ? region.region : 'local', listen: `127.0.0.1:${edgePort}`, metrics: `http://127.0.0.1:${edgeMetrics}/metrics` });
    }

    this.stackFile = {
      nats: natsUrl,
      edges,
      replicas: states.map((s) => ({ region: nats.topology ? s.region.region : 'local', db: s.db })),
      credentials,
    };
    const stackPath = writeStackFile(o.dataDir, this.stackFile);

    const edgePort = edges[0]!.listen.split(':')[1];
    this.summary = [
      `flowshield is running (data in ${o.dataDir}):`,
      `  nats        ${natsUrl}${o.server ? ' (given)' : nats.topology ? ` (${nats.regions.length} regions of ${o.nodes} node(s) joined by gateways, a leaf site each; configs in access/)` : ' (started here, credentials per role in access/)'}`,
      `  game server 127.0.0.1:${originPort} (UDP echo)`,
      ...edges.map((e) => `  edge        ${e.listen} → game server; tenant ${o.tenant}, program ${o.program.split('/').pop()} v${deployed.version} (${deployed.sha256.slice(0, 12)})${nats.topology ? `, region ${e.region}` : ''}`),
      `  metrics     edge ${edges.map((e) => e.metrics).join(', ')}, state ${states.map((s) => `http://127.0.0.1:${s.metrics}/metrics`).join(', ')}, challenge http://127.0.0.1:${challengeMetrics}/metrics`,
      '',
      `Point a client at the edge:  node sdk/client/examples/client.mjs 127.0.0.1 ${edgePort}`,
      `See why an IP has its status: npx flowshield status 127.0.0.1 --tenant ${o.tenant} --db ${states[0]!.db}`,
      `Every flowshield verb finds this stack through ${stackPath} (operator credentials).`,
      'Ctrl-C stops everything.',
    ];
  }

  /** One nats-server (or the one given): one "region" whose edge connects where the services do. */
  private async startOneServer(): Promise<StackNats> {
    const o = this.options;
    let natsUrl = o.server;
    let credentials: StackFile['credentials'];
    if (!natsUrl) {
      const port = await pick(o.natsPort, portFree);
      natsUrl = `nats://127.0.0.1:${port}`;
      // Users and permissions per role; seeds are kept across restarts, the config is rewritten.
      const access = writeAccessFiles(join(o.dataDir, 'access'), { host: '127.0.0.1', port, storeDir: join(o.dataDir, 'nats'), edgeIds: [EDGE_ID] });
      const c = access.credentials;
      credentials = { operator: c.operator.file, edge: c.edges[EDGE_ID]!.file, state: c.state.file, challenge: c.challenge.file };
      await this.startServer('nats', access.serverConfig);
    } else {
      // A server started elsewhere has its own users: nothing to generate, one given file for every role.
      if (!o.creds) process.stderr.write('flowshield: --server given without --creds: connecting without credentials (pass --creds FILE, used by every role, if that server requires them)\n');
      const given = o.creds ? resolve(o.creds) : null;
      credentials = { operator: given, edge: given, state: given, challenge: given };
    }
    return { regions: [{ region: 'local', urls: [natsUrl], edgeUrl: natsUrl }], credentials, topology: null, edgeCreds: {} };
  }

  /**
   * `--regions N --nodes M`: the deploy/ layout on this machine. Per region a cluster of M
   * nodes, gateways between regions, and a leaf site with its own JetStream domain that the
   * region's edge connects to; every config from libs/access's renderer (as deploy/nats).
   */
  private async startSupercluster(): Promise<StackNats> {
    const o = this.options;
    if (o.server) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--regions and --nodes start their own servers: leave out --server');
    const names = Array.from({ length: o.regions }, (_, i) => `region-${i + 1}`);
    const topology = { regions: names.map((region) => ({ region, sites: [`${region}-site`] })) };
    let next = o.natsPort;
    const port = async () => {
      next = await pick(next, portFree);
      return next++;
    };
    const address = async () => ({ host: '127.0.0.1', client: await port(), route: await port(), gateway: await port(), leaf: await port() });
    const nodes: Record<string, ServerAddress[]> = {};
    const sites: Record<string, ServerAddress> = {};
    for (const region of names) {
      nodes[region] = [];
      for (let i = 0; i < o.nodes; i++) nodes[region]!.push(await address());
      sites[`${region}-site`] = await address();
    }
    const edgeIds = names.map((r) => `edge-${r}`);
    const files = writeSuperclusterFiles(join(o.dataDir, 'access'), { topology, nodes, sites, edgeIds, storeRoot: join(o.dataDir, 'nats') });
    const topologyFile = join(o.dataDir, 'access', 'topology.json');
    writeFileSync(topologyFile, `${JSON.stringify(topology, null, 2)}\n`, { mode: 0o600 });
    await Promise.all(files.servers.map((s) => this.startServer(`nats-${s.name}`, s.file)));
    const c = files.credentials;
    const url = (a: ServerAddress) => `nats://127.0.0.1:${a.client}`;
    // The challenge service (and the deploy) need JetStream answering: the supercluster's leader elected.
    await jetStreamAnswering(nodes[names[0]!]!.map(url), c.operator.file);
    return {
      regions: names.map((region) => ({ region, urls: nodes[region]!.map(url), edgeUrl: url(sites[`${region}-site`]!) })),
      credentials: { operator: c.operator.file, edge: c.edges[edgeIds[0]!]!.file, state: c.state.file, challenge: c.challenge.file },
      topology: topologyFile,
      edgeCreds: Object.fromEntries(edgeIds.map((id) => [id, c.edges[id]!.file])),
    };
  }

  private async startServer(name: string, config: string): Promise<void> {
    const nats = new StackChild(name, natsServerBinary(), ['-c', config], { show: this.show });
    this.children.push(nats);
    await nats.waitFor((l) => /Server is ready/.test(String(l.msg)), 60_000);
  }

  /** The challenge service's master secret, kept across restarts so outstanding tokens stay valid. */
  private masterKeyFile(): string {
    const path = join(this.options.dataDir, 'challenge-master.key');
    if (!existsSync(path) || readFileSync(path, 'utf8').trim().length < 64) writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    return path;
  }

  /** SIGKILL to every child still running (a second Ctrl-C); a stop() under way then finishes at once. */
  kill(): void {
    for (const child of this.children) child.kill();
  }

  /** Children were started nats first; they stop in reverse. */
  async stop(): Promise<void> {
    removeStackFile(this.options.dataDir);
    this.origin?.close();
    for (const child of [...this.children].reverse()) await child.stop();
  }
}
