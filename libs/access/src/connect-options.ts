import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { AccessError, AccessErrorCode } from './errors.js';
import { inboxPrefix, type Principal } from './roles.js';

/** How a process reaches NATS: its role, and optionally a credentials file and a TLS CA. */
export interface ClientAccess extends Principal {
  /** A NATS `.creds` file (JWT + seed) or a file holding a bare nkey user seed; null/absent = no credentials. */
  creds?: string | null;
  /** CA bundle to verify the server's TLS certificate; setting it requires TLS. */
  tlsCa?: string | null;
}

export type AccessConnectOptions = Pick<ConnectionOptions, 'authenticator' | 'tls' | 'inboxPrefix'>;

const CREDS_MARKER = '-----BEGIN NATS USER JWT-----';
const SEED = /^SU[A-Z2-7]{56}$/;

/** What kind of credentials a file holds, read once at start (never logged). */
export function credentialsKind(path: string): 'creds' | 'nkey' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new AccessError(AccessErrorCode.CREDENTIALS_UNREADABLE, `cannot read credentials file ${path}: ${(cause as Error).message}`, { cause });
  }
  if (text.includes(CREDS_MARKER)) return 'creds';
  if (SEED.test(text.trim())) return 'nkey';
  throw new AccessError(AccessErrorCode.BAD_CREDENTIALS, `${path} is neither a NATS .creds file nor an nkey user seed (SU…)`);
}

/**
 * The connect options every flowshield process uses (spread them into `connect({...})`): the
 * authenticator for its credentials file, TLS when a CA is given, and the role's inbox prefix,
 * the only inbox its permissions let it subscribe to.
 */
export function accessConnectOptions(access: ClientAccess): AccessConnectOptions {
  const options: AccessConnectOptions = { inboxPrefix: inboxPrefix(access) };
  if (access.creds) {
    const kind = credentialsKind(access.creds);
    const bytes = new TextEncoder().encode(readFileSync(access.creds, 'utf8').trim());
    options.authenticator = kind === 'creds' ? credsAuthenticator(bytes) : nkeyAuthenticator(bytes);
  }
  if (access.tlsCa) options.tls = { caFile: access.tlsCa };
  return options;
}

/** A server list as flags and environment variables give it (`nats://a:4222,nats://b:4222`): one URL per cluster node. */
export function serverList(text: string | readonly string[]): string[] {
  const items = typeof text === 'string' ? text.split(',') : text;
  return items.map((s) => s.trim()).filter((s) => s.length > 0);
}
