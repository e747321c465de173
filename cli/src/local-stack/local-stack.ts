import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { writeAccessFiles } from '@flowshield/access';
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
    let natsUrl = o.server;
    let credentials: StackFile['credentials'];
    if (!natsUrl) {
      const port = await pick(o.natsPort, portFree);
      natsUrl = `nats://127.0.0.1:${port}`;
      // Users and permissions per role; seeds are kept across restarts, the config is rewritten.
      const access = writeAccessFiles(join(o.dataDir, 'access'), { host: '127.0.0.1', port, storeDir: join(o.dataDir, 'nats'), edgeIds: [EDGE_ID] });
      const c = access.credentials;
      credentials = { operator: c.operator.file, edge: c.edges[EDGE_ID]!.file, state: c.state.file, challenge: c.challenge.file };
      const nats = new StackChild('nats', natsServerBinary(), ['-c', access.serverConfig], { show: this.show });
      this.children.push(nats);
      await nats.waitFor((l) => /Server is ready/.test(String(l.msg)));
    } else {
      // A server started elsewhere has its own users: nothing to generate, one given file for every role.
      if (!o.creds) process.stderr.write('flowshield: --server given without --creds: connecting without credentials (pass --creds FILE, used by every role, if that server requires them)\n');
      const given = o.creds ? resolve(o.creds) : null;
      credentials = { operator: given, edge: given, state: given, challenge: given };
    }
    const [stateMetrics, challengeMetrics, edgeMetrics] = [await pick(9465, portFree), await pick(9475, portFree), await pick(9485, portFree)];
    const db = join(o.dataDir, 'state');
    const state = this.spawn('state', 'services/state/bin/state.js', [
      '--server', natsUrl, '--db', db, '--metrics-port', String(stateMetrics), ...(credentials.state ? ['--creds', credentials.state] : []),
    ], { NATS_CREDS: '' });
    const challenge = this.spawn('challenge', 'services/challenge/bin/challenge.js', [], {
      NATS_URL: natsUrl,
      NATS_CREDS: credentials.challenge ?? '',
      FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE: this.masterKeyFile(),
      FLOWSHIELD_CHALLENGE_METRICS_PORT: String(challengeMetrics),
    });
    await Promise.all([state.waitFor((l) => l.msg === 'state service started'), challenge.waitFor((l) => l.msg === 'challenge service ready')]);

    const originPort = await pick(o.originPort, udpPortFree);
    this.origin = await startEchoOrigin(originPort);
    const object = join(o.dataDir, 'program.o');
    const cli = join(ROOT, 'cli/bin/flowshield.js');
    // The operator key signs the demo deployment; the edge trusts only its public key.
    const operator = ensureOperatorKeyPair(o.dataDir);
    const run = (args: string[]) => execFileSync(process.execPath, [cli, ...args], {
      env: { ...process.env, NATS_URL: natsUrl!, NATS_CREDS: credentials.operator ?? '', FLOWSHIELD_OPERATOR_KEY: operator.keyFile }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    });
    run(['compile', o.program, '-o', object]);
    // The deploy also creates fs-programs, which the edge may only open: it must exist first.
    const deployed = JSON.parse(run(['deploy', object, '--tenant', o.tenant, '--deployed-by', 'flowshield start', '--json'])) as { version: number; sha256: string };

    const edgePort = await pick(o.edgePort, udpPortFree);
    const edgeConfig = {
      edgeId: EDGE_ID,
      nats: { servers: [natsUrl], creds: credentials.edge },
      replicaPath: db,
      metrics: { port: edgeMetrics },
      operatorKeys: [operator.signer.publicKeyText],
      services: [{ tenant: o.tenant, listen: { host: '127.0.0.1', port: edgePort }, origin: { host: '127.0.0.1', port: originPort } }],
    };
    const configPath = join(o.dataDir, 'edge.json');
    writeFileSync(configPath, JSON.stringify(edgeConfig, null, 2), { mode: 0o600 });
    const edge = this.spawn('edge', 'services/edge/bin/edge.js', ['--config', configPath], { NATS_CREDS: '' });
    await edge.waitFor((l) => l.msg === 'edge started');
    await edge.waitFor((l) => l.msg === 'program deployed');

    this.stackFile = {
      nats: natsUrl,
      edges: [{ id: EDGE_ID, region: 'local', listen: `127.0.0.1:${edgePort}`, metrics: `http://127.0.0.1:${edgeMetrics}/metrics` }],
      replicas: [{ region: 'local', db }],
      credentials,
    };
    const stackPath = writeStackFile(o.dataDir, this.stackFile);

    this.summary = [
      `flowshield is running (data in ${o.dataDir}):`,
      `  nats        ${natsUrl}${o.server ? ' (given)' : ' (started here, credentials per role in access/)'}`,
      `  game server 127.0.0.1:${originPort} (UDP echo)`,
      `  edge        127.0.0.1:${edgePort} → game server; tenant ${o.tenant}, program ${o.program.split('/').pop()} v${deployed.version} (${deployed.sha256.slice(0, 12)})`,
      `  metrics     edge http://127.0.0.1:${edgeMetrics}/metrics, state http://127.0.0.1:${stateMetrics}/metrics, challenge http://127.0.0.1:${challengeMetrics}/metrics`,
      '',
      `Point a client at the edge:  node sdk/client/examples/client.mjs 127.0.0.1 ${edgePort}`,
      `See why an IP has its status: npx flowshield status 127.0.0.1 --tenant ${o.tenant} --db ${join(o.dataDir, 'state')}`,
      `Every flowshield verb finds this stack through ${stackPath} (operator credentials).`,
      'Ctrl-C stops everything.',
    ];
  }

  /** The challenge service's master secret, kept across restarts so outstanding tokens stay valid. */
  private masterKeyFile(): string {
    const path = join(this.options.dataDir, 'challenge-master.key');
    if (!existsSync(path) || readFileSync(path, 'utf8').trim().length < 64) writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    return path;
  }

  /** Children were started nats first; they stop in reverse. */
  async stop(): Promise<void> {
    removeStackFile(this.options.dataDir);
    this.origin?.close();
    for (const child of [...this.children].reverse()) await child.stop();
  }
}
