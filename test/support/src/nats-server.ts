import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAccessFiles, type CredentialSet, type Role, type ServerTls } from '@flowshield/access';
import { freePort } from './free-port.js';

export interface NatsServerOptions {
  /** Extra command-line arguments for nats-server. */
  args?: string[];
  /** Keep the JetStream store in this folder (default: a new temporary folder). */
  storeDir?: string;
  /**
   * Start with the production access control (libs/access): accounts, nkey users and permissions
   * per role, generated into a temporary folder. `credentials` then names each role's seed file.
   */
  auth?: { edgeIds?: string[]; tls?: ServerTls };
}

/**
 * A real nats-server with JetStream on a free port and a temporary store, for tests.
 * `stop()` then `start()` brings the same server back on the same port with the same store,
 * which is how tests simulate an outage.
 */
export class NatsTestServer {
  readonly port: number;
  readonly storeDir: string;
  private readonly ownsStore: boolean;
  private readonly extraArgs: string[];
  private child: ChildProcess | null = null;
  /** With `auth`: the folder holding the generated server config and seed files. */
  readonly accessDir: string | null = null;
  /** With `auth`: each role's credentials (edges by id); null without auth. */
  readonly credentials: CredentialSet | null = null;
  private readonly serverConfig: string | null = null;

  private constructor(port: number, options: NatsServerOptions) {
    this.port = port;
    this.ownsStore = !options.storeDir;
    this.storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'flowshield-nats-'));
    this.extraArgs = options.args ?? [];
    if (options.auth) {
      this.accessDir = mkdtempSync(join(tmpdir(), 'flowshield-nats-access-'));
      const files = writeAccessFiles(this.accessDir, {
        host: '127.0.0.1', port, storeDir: this.storeDir, edgeIds: options.auth.edgeIds ?? [], tls: options.auth.tls ?? null,
      });
      this.credentials = files.credentials;
      this.serverConfig = files.serverConfig;
    }
  }

  /** The seed file of a role (an edge: by id). Throws when the server runs without auth or the edge id was not listed. */
  creds(role: Role, edgeId?: string): string {
    const set = this.credentials;
    if (!set) throw new Error('this nats-server runs without auth');
    if (role === 'edge') {
      const edge = edgeId === undefined ? undefined : set.edges[edgeId];
      if (!edge) throw new Error(`no credentials for edge ${edgeId}: list it in auth.edgeIds`);
      return edge.file;
    }
    return set[role].file;
  }

  static async start(options: NatsServerOptions = {}): Promise<NatsTestServer> {
    const server = new NatsTestServer(await freePort(), options);
    await server.start();
    return server;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const base = this.serverConfig ? ['-c', this.serverConfig] : ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    const child = spawn(natsServerBinary(), [...base, ...this.extraArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
    this.child = child;
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${stderr}`))));
    await Promise.race([waitForPort(this.port, 10_000), exited]);
    // JetStream needs a moment after the port opens before it accepts API calls.
    await new Promise((r) => setTimeout(r, 50));
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });
  }

  /** Stops the server and removes its store if the store was ours. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsStore) rmSync(this.storeDir, { recursive: true, force: true });
    if (this.accessDir) rmSync(this.accessDir, { recursive: true, force: true });
  }
}

export function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  for (const candidate of ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) {
    if (existsSync(candidate)) return candidate;
  }
  return 'nats-server';
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not open port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
