import type { Command } from 'commander';
import { accessConnectOptions, AccessError, Role } from '@flowshield/access';
import type { NatsConnection } from '@nats-io/transport-node';
import { CliError } from '../errors.js';
import { dataDir, readStackFile } from '../local-stack/stack-file.js';
import { io } from '../io.js';

/*
 * How every verb that talks to NATS finds it and logs in (the one place for it): `--server`, else
 * NATS_URL, else the `nats` of `DATA_DIR/stack.json` (written by `flowshield start`), else
 * nats://127.0.0.1:4222. Credentials: `--creds`, else NATS_CREDS, else — only when the server came
 * from stack.json — its `credentials.operator`. The CLI connects as the operator role.
 */

export interface NatsOptions {
  /** Filled with the resolved URL by withNats, so messages can name the server. */
  server?: string;
  creds?: string;
  tlsCa?: string;
  dataDir?: string;
  verbose?: boolean;
}

export interface ResolvedNats {
  server: string;
  creds: string | null;
  tlsCa: string | null;
  /** Where the server URL came from. */
  from: '--server' | 'NATS_URL' | string;
}

const DEFAULT_SERVER = 'nats://127.0.0.1:4222';
const env = (name: string): string | undefined => io().env[name] || undefined;

export function addServerOption(c: Command): Command {
  return c
    .option('--server <url>', `NATS server URL (env NATS_URL; else stack.json of the data dir; else ${DEFAULT_SERVER})`)
    .option('--creds <file>', 'NATS credentials: .creds or nkey seed file (env NATS_CREDS; else stack.json\'s operator credentials)')
    .option('--tls-ca <file>', 'CA of the NATS server\'s TLS certificate (env NATS_TLS_CA)')
    .option('--data-dir <dir>', 'where `flowshield start` wrote stack.json (env FLOWSHIELD_DATA_DIR, default .data)')
    .option('--verbose', 'say which server and credentials file are used');
}

export function resolveNats(opts: NatsOptions): ResolvedNats {
  const tlsCa = opts.tlsCa ?? env('NATS_TLS_CA') ?? null;
  const creds = opts.creds ?? env('NATS_CREDS') ?? null;
  if (opts.server) return { server: opts.server, creds, tlsCa, from: '--server' };
  const fromEnv = env('NATS_URL');
  if (fromEnv) return { server: fromEnv, creds, tlsCa, from: 'NATS_URL' };
  const file = readStackFile(dataDir(opts.dataDir));
  if (file) return { server: file.stack.nats, creds: creds ?? file.stack.credentials?.operator ?? null, tlsCa, from: file.path };
  return { server: DEFAULT_SERVER, creds, tlsCa, from: 'default' };
}

/** Connects as the operator, runs `fn`, closes. An unreachable server or a refused login is one line. */
export async function withNats<T>(opts: NatsOptions, fn: (nc: NatsConnection) => Promise<T>, timeoutMs = 5_000): Promise<T> {
  const target = resolveNats(opts);
  opts.server = target.server;
  if (opts.verbose) io().stderr.write(`flowshield: nats ${target.server} (from ${target.from}), credentials ${target.creds ?? 'none'}${target.tlsCa ? `, TLS CA ${target.tlsCa}` : ''}\n`);
  let access;
  try {
    access = accessConnectOptions({ role: Role.operator, creds: target.creds, tlsCa: target.tlsCa });
  } catch (err) {
    if (err instanceof AccessError) throw new CliError(err.code, err.message, { cause: err });
    throw err;
  }
  let nc: NatsConnection;
  try {
    // Loaded here, not at start: `flowshield --help` and the offline verbs never load NATS.
    const { connect } = await import('@nats-io/transport-node');
    nc = await connect({ servers: target.server, timeout: timeoutMs, maxReconnectAttempts: 0, noAsyncTraces: true, ...access });
  } catch (err) {
    const reason = (err as Error).message ?? String(err);
    if (opts.verbose) io().stderr.write(`flowshield: connecting to ${target.server} failed: ${reason}\n`);
    if (/authori[sz]ation/i.test(reason)) {
      throw new CliError('FS_ERR_CLI_NATS_REFUSED', `NATS at ${target.server} refused the login (${target.creds ? `credentials ${target.creds}` : 'no credentials: pass --creds or NATS_CREDS'})`, { cause: err });
    }
    throw new CliError('FS_ERR_CLI_NATS_UNREACHABLE', `cannot reach NATS at ${target.server}`, { cause: err });
  }
  try {
    return await fn(nc);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
