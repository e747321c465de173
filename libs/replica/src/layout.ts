import { open, type Database, type RootDatabase } from 'lmdb';
import { ReplicaError, ReplicaErrorCode } from './errors.js';

/**
 * One LMDB environment (a folder with data.mdb) holds a replica:
 *  - `status`: key = [tenant length u8][tenant UTF-8][IP 16 bytes], value = the winning event
 *    as a register (libs/proto encodeRegister), so "which event set this status" is one read;
 *  - `meta`: layout version, last merged sequence per source stream (`seq:<stream>`), counters,
 *    and the high-water mark (`highWater`: the greatest event order ever merged, see writer.ts).
 * Written by services/state only; edges open it read-only.
 */
export const REPLICA_LAYOUT_VERSION = 1;

export const META_KEYS = {
  layout: 'layout',
  appliedEvents: 'appliedEvents',
  appliedMessages: 'appliedMessages',
  /** Merges in which an event lost to, or equalled, the stored register (duplicates land here). */
  ignoredEvents: 'ignoredEvents',
  /** { hlcWall, hlcLogical, edgeId, seq } of the greatest event ever merged; absent = none yet. */
  highWater: 'highWater',
  sequencePrefix: 'seq:',
} as const;

export interface ReplicaDatabases {
  root: RootDatabase;
  status: Database<Uint8Array, Buffer>;
  meta: Database<unknown, string>;
}

export function openReplicaDatabases(path: string, readOnly: boolean): ReplicaDatabases {
  let root: RootDatabase;
  try {
    // maxDbs: named databases must be declared; mapSize grows on demand for writers.
    root = open({ path, readOnly, maxDbs: 4 });
  } catch (cause) {
    throw new ReplicaError(ReplicaErrorCode.OPEN, `cannot open replica at ${path}: ${(cause as Error).message}`, path, { cause });
  }
  const status = root.openDB<Uint8Array, Buffer>('status', { keyEncoding: 'binary', encoding: 'binary' });
  const meta = root.openDB<unknown, string>('meta', {});
  const layout = meta.get(META_KEYS.layout);
  if (layout === undefined && !readOnly) {
    meta.putSync(META_KEYS.layout, REPLICA_LAYOUT_VERSION);
  } else if (layout !== undefined && layout !== REPLICA_LAYOUT_VERSION) {
    root.close();
    throw new ReplicaError(ReplicaErrorCode.LAYOUT_VERSION, `replica at ${path} has layout ${String(layout)}, expected ${REPLICA_LAYOUT_VERSION}`, path);
  }
  return { root, status, meta };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Tenants are few and repeat in every event: encode each once. */
const tenantBytes = new Map<string, Uint8Array>();

function encodeTenant(tenant: string): Uint8Array {
  let t = tenantBytes.get(tenant);
  if (!t) {
    t = encoder.encode(tenant);
    if (tenantBytes.size < 10_000) tenantBytes.set(tenant, t);
  }
  return t;
}

/** The part of every key of a tenant before the IP: [tenant length][tenant UTF-8]. */
export function tenantKeyPrefix(tenant: string): Uint8Array {
  const t = encodeTenant(tenant);
  const prefix = new Uint8Array(1 + t.length);
  prefix[0] = t.length;
  prefix.set(t, 1);
  return prefix;
}

/** Writes the key of (tenant, IP) at the start of `scratch` and returns its length. */
export function writeStatusKey(scratch: Uint8Array, tenant: string, ip: Uint8Array): number {
  const t = encodeTenant(tenant);
  const n = t.length;
  scratch[0] = n;
  // Byte loops: for a few bytes TypedArray.set costs more than the merge's put itself.
  for (let i = 0; i < n; i++) scratch[1 + i] = t[i]!;
  for (let i = 0; i < 16; i++) scratch[1 + n + i] = ip[i]!;
  return 1 + n + 16;
}

/**
 * Writes the key of (a tenant whose tenantKeyPrefix is `prefix`, an IPv4 address as a 32-bit
 * number) at the start of `scratch`, IPv4-mapped as every key holds it; returns its length.
 */
export function writeV4StatusKey(scratch: Uint8Array, prefix: Uint8Array, address: number): number {
  const n = prefix.length;
  for (let i = 0; i < n; i++) scratch[i] = prefix[i]!;
  for (let i = 0; i < 10; i++) scratch[n + i] = 0;
  scratch[n + 10] = 0xff;
  scratch[n + 11] = 0xff;
  scratch[n + 12] = address >>> 24;
  scratch[n + 13] = (address >>> 16) & 0xff;
  scratch[n + 14] = (address >>> 8) & 0xff;
  scratch[n + 15] = address & 0xff;
  return n + 16;
}

/** The same for any 16-byte address. */
export function writePrefixedStatusKey(scratch: Uint8Array, prefix: Uint8Array, ip: Uint8Array): number {
  const n = prefix.length;
  for (let i = 0; i < n; i++) scratch[i] = prefix[i]!;
  for (let i = 0; i < 16; i++) scratch[n + i] = ip[i]!;
  return n + 16;
}

/**
 * Writes the key of (tenant, IP) into `scratch` and returns the used part: lookups on the packet
 * path allocate nothing (lmdb copies the key before the call returns).
 */
export function statusKeyInto(scratch: Buffer, tenant: string, ip: Uint8Array): Buffer {
  return scratch.subarray(0, writeStatusKey(scratch, tenant, ip));
}

/** Room for the longest key: 255 tenant bytes and an IP. */
export const MAX_STATUS_KEY = 1 + 255 + 16;

/** The LMDB key of one (tenant, IP) register; sorts by tenant, then IP. */
export function statusKey(tenant: string, ip: Uint8Array): Buffer {
  const t = encodeTenant(tenant);
  const key = Buffer.allocUnsafe(1 + t.length + 16);
  key[0] = t.length;
  key.set(t, 1);
  key.set(ip, 1 + t.length);
  return key;
}

export function parseStatusKey(key: Uint8Array): { tenant: string; ip: Uint8Array } {
  const n = key[0]!;
  return { tenant: decoder.decode(key.subarray(1, 1 + n)), ip: key.slice(1 + n, 1 + n + 16) };
}

export function sequenceKey(stream: string): string {
  return `${META_KEYS.sequencePrefix}${stream}`;
}

export function readSequences(meta: Database<unknown, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { key, value } of meta.getRange({ start: META_KEYS.sequencePrefix, end: `${META_KEYS.sequencePrefix}\uffff` })) {
    out[key.slice(META_KEYS.sequencePrefix.length)] = value as number;
  }
  return out;
}

export function readCounter(meta: Database<unknown, string>, key: string): number {
  const v = meta.get(key);
  return typeof v === 'number' ? v : 0;
}
