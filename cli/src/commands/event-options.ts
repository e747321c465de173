import type { Command } from 'commander';
import { aggregateStream, bytes16ToIp, EVENTS_STREAM, ipToBytes16, isNameToken, REASON_NAMES, STATUS_NAMES, type StatusEvent } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { dataDir, readStackFile } from '../local-stack/stack-file.js';
import { io } from '../io.js';

export { addServerOption, withNats, resolveNats } from './nats-connection.js';
export type { NatsOptions as ServerOption } from './nats-connection.js';

/** Options shared by the event-path verbs (status, events, replay, state, snapshot). */
export interface DbOption { db: string }
export interface JsonOption { json?: boolean }

/** STATE_DB, else the first replica of the data dir's stack.json (FLOWSHIELD_DATA_DIR or .data), else .data/state. */
export function defaultDb(): string {
  const fromEnv = io().env.STATE_DB;
  if (fromEnv) return fromEnv;
  try {
    return readStackFile(dataDir())?.stack.replicas?.[0]?.db ?? '.data/state';
  } catch {
    return '.data/state';
  }
}

export interface StreamOption { stream?: string }

/**
 * The event log a verb reads: `--stream`, else FLOWSHIELD_EVENTS_STREAM, else — in a multi-region
 * stack.json (`flowshield start --regions N`) — the aggregate of its first replica's region
 * (every region's aggregate holds every event), else FS_EVENTS (one node).
 */
export function eventStream(opts: StreamOption & { dataDir?: string }): string {
  const given = opts.stream ?? io().env.FLOWSHIELD_EVENTS_STREAM ?? null;
  if (given) {
    if (!isNameToken(given)) throw new CliError('FS_ERR_CLI_BAD_STREAM', `not a stream name: ${JSON.stringify(given)}`);
    return given;
  }
  try {
    const region = readStackFile(dataDir(opts.dataDir))?.stack.replicas?.[0]?.region;
    if (region && region !== 'local') return aggregateStream(region);
  } catch { /* no usable stack file: one node */ }
  return EVENTS_STREAM;
}

export function addStreamOption(c: Command): Command {
  return c.option('--stream <name>', 'event stream to read: FS_AGG_<region> in a supercluster (env FLOWSHIELD_EVENTS_STREAM; else the first replica\'s region aggregate of a multi-region stack.json; else FS_EVENTS)');
}

export function addDbOption(c: Command, what = 'replica folder (LMDB) of the state service'): Command {
  return c.option('--db <dir>', `${what} (env STATE_DB)`, defaultDb());
}


const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A point in time for --since/--until, in milliseconds since the epoch: an ISO date
 * (`2026-11-22T10:00:00Z`), UNIX seconds or milliseconds, `now`, or an offset back from now (`-15m`, `-2h`).
 */
export function parseTime(text: string, flag: string, now = Date.now()): number {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^-(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(t);
  if (rel) return Math.round(now - Number(rel[1]) * UNITS[rel[2]!]!);
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n); // seconds unless it is clearly milliseconds
  }
  const parsed = Date.parse(t);
  if (Number.isNaN(parsed)) throw new CliError('FS_ERR_CLI_BAD_TIME', `${flag}: not a time: ${JSON.stringify(text)} (ISO date, UNIX seconds/ms, now, or -15m)`);
  return parsed;
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const expiryText = (expiry: number): string => (expiry === 0 ? 'never' : iso(expiry * 1000));

/** An event as operators and scripts see it: names instead of numbers, IP as text. */
export function eventToJson(e: StatusEvent): Record<string, unknown> {
  return {
    time: iso(e.hlcWall), tenant: e.tenant, ip: bytes16ToIp(e.ip), from: STATUS_NAMES[e.prevStatus], to: STATUS_NAMES[e.status],
    expiry: e.expiry, edge: e.edgeId, seq: e.seq, hlc: { wall: e.hlcWall, logical: e.hlcLogical },
    reason: REASON_NAMES[e.reason] ?? String(e.reason), programVersion: e.programVersion,
  };
}

export function eventToLine(e: StatusEvent): string {
  return `${iso(e.hlcWall)}  ${e.tenant}  ${bytes16ToIp(e.ip)}  ${STATUS_NAMES[e.prevStatus]} -> ${STATUS_NAMES[e.status]}`
    + `  expiry ${expiryText(e.expiry)}  edge ${e.edgeId} #${e.seq}  reason ${REASON_NAMES[e.reason] ?? e.reason}  program v${e.programVersion}`;
}

export function parseIpOption(text: string): Uint8Array {
  try {
    return ipToBytes16(text);
  } catch {
    throw new CliError('FS_ERR_CLI_BAD_IP', `not an IP address: ${JSON.stringify(text)}`);
  }
}


/** Turns "stream not found" from JetStream into a one-line operator message. */
export function explainStreamError(err: unknown, server = 'the server'): never {
  const message = err instanceof Error ? err.message : String(err);
  if (/stream not found/i.test(message)) {
    throw new CliError('FS_ERR_CLI_NO_EVENT_STREAM', `no event stream on ${server} (is the state service running there?)`, { cause: err });
  }
  if (/jetstream (is )?not enabled/i.test(message)) {
    throw new CliError('FS_ERR_CLI_NO_JETSTREAM', `JetStream is not enabled on ${server}`, { cause: err });
  }
  throw err;
}
