import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ensureCredentialSet, usersOf, type CredentialSet } from './credentials.js';
import { writeServerConfig, type LinkAuth, type ServerConfigInput, type ServerTls } from './server-config.js';
import { planSupercluster, type PlannedServer, type SuperclusterInput } from './supercluster.js';

export interface AccessFilesOptions {
  host: string;
  port: number;
  storeDir: string;
  /** One edge user per id. */
  edgeIds: readonly string[];
  tls?: ServerTls | null;
  httpPort?: number;
  /** Cluster, gateway, leaf and domain settings of a multi-server deployment (server-config.ts). */
  links?: Pick<ServerConfigInput, 'topology' | 'serverName' | 'jetstreamDomain' | 'cluster' | 'gateway' | 'leafListen' | 'leafRemote'>;
  /** The config's file name in `dir` (default nats-server.conf; one per server when several share the credentials). */
  configName?: string;
}

export interface AccessFiles {
  /** `DIR/nats-server.conf` */
  serverConfig: string;
  credentials: CredentialSet;
}

/**
 * Everything a single nats-server with flowshield's access control needs, under `dir`: a seed
 * file per user (`operator.nk`, `state.nk`, `challenge.nk`, `edge-<id>.nk`, kept if present) and
 * `nats-server.conf` naming their public keys. Every file is mode 0600, the folder 0700.
 */
export function writeAccessFiles(dir: string, options: AccessFilesOptions): AccessFiles {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const credentials = ensureCredentialSet(root, options.edgeIds);
  const serverConfig = join(root, options.configName ?? 'nats-server.conf');
  writeServerConfig(serverConfig, {
    host: options.host, port: options.port, storeDir: resolve(options.storeDir), users: usersOf(credentials),
    tls: options.tls ?? null, ...(options.httpPort ? { httpPort: options.httpPort } : {}), ...options.links,
  });
  return { serverConfig, credentials };
}

export interface SuperclusterFilesOptions extends Omit<SuperclusterInput, 'users' | 'links' | 'storeDir'> {
  edgeIds: readonly string[];
  /** Each server's JetStream store is `<storeRoot>/<server name>`. */
  storeRoot: string;
}

export interface SuperclusterFiles {
  servers: (PlannedServer & { file: string })[];
  credentials: CredentialSet;
}

/**
 * The supercluster's files under `dir`: the same seeds as writeAccessFiles, random passwords for
 * the server-to-server links (`links.json`, kept across runs like the seeds) and one
 * `<server>.conf` per server of planSupercluster. Every file mode 0600, the folder 0700.
 */
export function writeSuperclusterFiles(dir: string, options: SuperclusterFilesOptions): SuperclusterFiles {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const credentials = ensureCredentialSet(root, options.edgeIds);
  const links = ensureLinkAuth(join(root, 'links.json'));
  const planned = planSupercluster({
    topology: options.topology, nodes: options.nodes, sites: options.sites, users: usersOf(credentials), links,
    storeDir: (name) => join(resolve(options.storeRoot), name),
  });
  const servers = planned.map((server) => {
    const file = join(root, `${server.name}.conf`);
    writeServerConfig(file, server.config);
    return { ...server, file };
  });
  return { servers, credentials };
}

function ensureLinkAuth(file: string): SuperclusterInput['links'] {
  const make = (user: string): LinkAuth => ({ user, password: randomBytes(24).toString('hex') });
  let links: SuperclusterInput['links'] | null = null;
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as SuperclusterInput['links'];
      if (['route', 'gateway', 'leaf'].every((k) => typeof (saved as any)?.[k]?.password === 'string')) links = saved;
    } catch { /* unreadable: make new ones */ }
  }
  links ??= { route: make('route'), gateway: make('gateway'), leaf: make('leaf') };
  writeFileSync(file, `${JSON.stringify(links, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return links;
}
