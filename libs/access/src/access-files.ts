import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureCredentialSet, usersOf, type CredentialSet } from './credentials.js';
import { writeServerConfig, type ServerTls } from './server-config.js';

export interface AccessFilesOptions {
  host: string;
  port: number;
  storeDir: string;
  /** One edge user per id. */
  edgeIds: readonly string[];
  tls?: ServerTls | null;
  httpPort?: number;
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
  const serverConfig = join(root, 'nats-server.conf');
  writeServerConfig(serverConfig, {
    host: options.host, port: options.port, storeDir: resolve(options.storeDir), users: usersOf(credentials),
    tls: options.tls ?? null, ...(options.httpPort ? { httpPort: options.httpPort } : {}),
  });
  return { serverConfig, credentials };
}
