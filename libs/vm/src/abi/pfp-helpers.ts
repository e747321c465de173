import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { blake2b } from '@noble/hashes/blake2.js';
import { hmac } from '@noble/hashes/hmac.js';
import { crc32 } from 'node:zlib';
import type { HelperContext } from '../helpers.js';
import { putU64 } from '../interpreter/int64.js';
import type { ArgKind, ReturnKind } from '../platform/types.js';
import { FLOW_KEY_BYTES, flowKeyInto } from '../tables/state-tables.js';
import type { RunBinding } from './run-binding.js';

/** A helper as the platform table holds it: prototype for the verifier, implementation for the engines. */
export interface HelperSpec {
  id: number;
  name: string;
  args: readonly ArgKind[];
  returns: ReturnKind;
  impl: (ctx: HelperContext, run: RunBinding) => number | bigint;
}

/** Return codes shared by helpers 1–20 (Cloudflare PFP's published values). */
export const HelperResult = { OK: 0, NO_ENTRY: -1, BAD_SOURCE: -1, BAD_DEST: -2, NO_KEY: -3, BUFFER_TOO_SMALL: -3, INVALID: -4, TOO_BIG: -4, DISABLED: -5, RATE_LIMITED: -6 } as const;

const MAX_STATUS = 3n;
/** longest status lifetime a program may set: about 317 years, past which it is surely a bug */
const MAX_LIFETIME = 10_000_000_000n;

/** A view of program memory, or null when the range is not mapped (the helper then returns an error code). */
function tryView(ctx: HelperContext, address: number, length: number, write: boolean): Uint8Array | null {
  try {
    return write ? ctx.write(address, length) : ctx.read(address, length);
  } catch {
    return null;
  }
}

function hashHelper(id: number, name: string, digest: (data: Uint8Array, run: RunBinding) => Uint8Array | null): HelperSpec {
  return {
    id,
    name,
    args: ['mem', 'size', 'mem-out', 'size'],
    returns: 'scalar',
    impl: (ctx, run) => {
      const src = tryView(ctx, ctx.argNumber(1), ctx.argNumber(2), false);
      if (!src) return HelperResult.BAD_SOURCE;
      const out = digest(src, run);
      if (!out) return HelperResult.NO_KEY;
      if (ctx.argNumber(4) < out.length) return HelperResult.BAD_DEST;
      const dst = tryView(ctx, ctx.argNumber(3), out.length, true);
      if (!dst) return HelperResult.BAD_DEST;
      dst.set(out);
      return out.length;
    },
  };
}

/** An HMAC under the tenant's key, or null (FS_ERR_NO_KEY) while the host has none: never another key. */
function keyed(run: RunBinding, mac: (key: Uint8Array) => Uint8Array): Uint8Array | null {
  const key = run.env.hmacKey;
  return key ? mac(key) : null;
}

function crc32Bytes(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, crc32(data), true);
  return out;
}

/** Shannon entropy of the bytes, in millibits per byte (0–8000). */
export function entropyMillibits(data: Uint8Array): number {
  if (data.length === 0) return 0;
  const counts = new Uint32Array(256);
  for (const b of data) counts[b]!++;
  let bits = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / data.length;
    bits -= p * Math.log2(p);
  }
  return Math.round(bits * 1000);
}

/** Reads a NUL-terminated string of at most `max` bytes. */
function readCString(ctx: HelperContext, address: number, max = 256): string {
  const bytes: number[] = [];
  for (let i = 0; i < max; i++) {
    const b = ctx.read(address + i, 1)[0]!;
    if (b === 0) break;
    bytes.push(b);
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** printf with integer arguments only (%d %i %u %x %X %c %p, with l/ll/h modifiers, and %%). */
export function formatPrintf(format: string, args: bigint[]): string {
  let next = 0;
  return format.replace(/%(%|[-0-9]*(?:ll|l|h|hh|z)?([diuxXcp]))/g, (whole, body: string, conv: string | undefined) => {
    if (body === '%') return '%';
    const raw = args[next++] ?? 0n;
    switch (conv) {
      case 'd': case 'i': return BigInt.asIntN(64, raw).toString();
      case 'u': return raw.toString();
      case 'x': case 'p': return raw.toString(16);
      case 'X': return raw.toString(16).toUpperCase();
      case 'c': return String.fromCharCode(Number(raw & 0xffn));
      default: return whole;
    }
  });
}

/** One scratch key for every run: a table copies the key it keeps, and helpers run one at a time. */
const flowScratch = new Uint8Array(FLOW_KEY_BYTES);
const flowKey = (run: RunBinding) => flowKeyInto(flowScratch, run.meta.srcIp, run.meta.srcPort, run.meta.dstIp, run.meta.dstPort);

function writeU64(ctx: HelperContext, address: number, value: number | bigint): void {
  putU64(ctx.write(address, 8), 0, value);
}

/** Helpers 1–20: Cloudflare Programmable Flow Protection's numbers, arguments and return codes. */
export const PFP_HELPERS: readonly HelperSpec[] = [
  { id: 1, name: 'rand', args: [], returns: 'scalar', impl: (_ctx, run) => (BigInt(run.env.random()) << 32n) | BigInt(run.env.random()) },
  { id: 2, name: 'timestamp', args: [], returns: 'scalar', impl: (_ctx, run) => Math.floor(run.now) },
  {
    id: 3, name: 'printf', args: ['any', 'any', 'any', 'any'], returns: 'scalar',
    impl: (ctx, run) => {
      if (!run.env.print) return 0;
      const line = formatPrintf(readCString(ctx, ctx.argNumber(1)), [ctx.argU64(2), ctx.argU64(3), ctx.argU64(4)]);
      run.effects.printed.push(line);
      run.env.print(line);
      return 0;
    },
  },
  hashHelper(4, 'hash_md5', (d) => md5(d)),
  hashHelper(5, 'hash_sha256', (d) => sha256(d)),
  hashHelper(6, 'hash_sha512', (d) => sha512(d)),
  hashHelper(7, 'hash_crc32', crc32Bytes),
  hashHelper(8, 'hmac_sha256', (d, run) => keyed(run, (key) => hmac(sha256, key, d))),
  hashHelper(9, 'hmac_sha512', (d, run) => keyed(run, (key) => hmac(sha512, key, d))),
  {
    id: 10, name: 'set_challenge', args: ['mem-or-null', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      if (!run.env.challengesEnabled) return HelperResult.DISABLED;
      const length = ctx.argNumber(2);
      if (length === 0) {
        run.effects.challenge = null;
        return HelperResult.OK;
      }
      if (length > run.meta.payload.length) return HelperResult.TOO_BIG;
      const buf = tryView(ctx, ctx.argNumber(1), length, false);
      if (!buf) return HelperResult.INVALID;
      if (!run.env.allowChallenge(run.meta, run.now)) return HelperResult.RATE_LIMITED;
      run.effects.challenge = buf.slice();
      return HelperResult.OK;
    },
  },
  {
    id: 11, name: 'get_src_ip_status', args: ['mem-out-or-null', 'size', 'mem-out-or-null', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      const statusAt = ctx.argNumber(1);
      const expiryAt = ctx.argNumber(3);
      if (statusAt === 0 && expiryAt === 0) return HelperResult.INVALID;
      if ((statusAt !== 0 && ctx.argNumber(2) < 1) || (expiryAt !== 0 && ctx.argNumber(4) < 8)) return HelperResult.BUFFER_TOO_SMALL;
      const entry = run.env.state.getStatus(run.meta.srcIp, run.now);
      run.statusObserver?.remember(run.meta.srcIp, entry);
      if (!entry) return HelperResult.NO_ENTRY;
      if (statusAt !== 0) ctx.write(statusAt, 1)[0] = entry.status;
      if (expiryAt !== 0) writeU64(ctx, expiryAt, entry.expiry);
      return HelperResult.OK;
    },
  },
  {
    id: 12, name: 'set_src_ip_status', args: ['scalar', 'scalar'], returns: 'scalar',
    impl: (ctx, run) => {
      const status = ctx.argU64(1);
      if (status > MAX_STATUS) return HelperResult.INVALID;
      const lifetime = ctx.argU64(2);
      if (lifetime > MAX_LIFETIME) return HelperResult.INVALID;
      const expiry = lifetime === 0n ? 0 : Math.floor(run.now) + Number(lifetime);
      const from = run.env.state.getStatus(run.meta.srcIp, run.now)?.status ?? 0;
      run.env.state.setStatus(run.meta.srcIp, { status: Number(status), expiry }, run.now);
      run.statusObserver?.changed();
      run.effects.statusChange = { from, to: Number(status), expiry };
      return HelperResult.OK;
    },
  },
  {
    id: 13, name: 'get_src_ip_data', args: ['mem-out-or-null', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      if (ctx.argNumber(1) === 0) return HelperResult.INVALID;
      if (ctx.argNumber(2) < 8) return HelperResult.BUFFER_TOO_SMALL;
      const value = run.env.state.getIpData(run.meta.srcIp);
      if (value === undefined) return HelperResult.NO_ENTRY;
      writeU64(ctx, ctx.argNumber(1), value);
      return HelperResult.OK;
    },
  },
  { id: 14, name: 'set_src_ip_data', args: ['scalar'], returns: 'scalar', impl: (ctx, run) => { run.env.state.setIpData(run.meta.srcIp, ctx.argU64(1)); return HelperResult.OK; } },
  {
    id: 15, name: 'get_flow_data', args: ['mem-out-or-null', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      if (ctx.argNumber(1) === 0) return HelperResult.INVALID;
      if (ctx.argNumber(2) < 8) return HelperResult.BUFFER_TOO_SMALL;
      const value = run.env.state.getFlowData(flowKey(run));
      if (value === undefined) return HelperResult.NO_ENTRY;
      writeU64(ctx, ctx.argNumber(1), value);
      return HelperResult.OK;
    },
  },
  { id: 16, name: 'set_flow_data', args: ['scalar'], returns: 'scalar', impl: (ctx, run) => { run.env.state.setFlowData(flowKey(run), ctx.argU64(1)); return HelperResult.OK; } },
  {
    id: 17, name: 'entropy', args: ['mem', 'size'], returns: 'scalar',
    impl: (ctx) => {
      const src = tryView(ctx, ctx.argNumber(1), ctx.argNumber(2), false);
      return src ? entropyMillibits(src) : HelperResult.BAD_SOURCE;
    },
  },
  { id: 18, name: 'set_network_analytics_tag', args: ['scalar'], returns: 'scalar', impl: (ctx, run) => { run.effects.tag = ctx.argU64(1); return HelperResult.OK; } },
  hashHelper(19, 'hash_blake2b512', (d) => blake2b(d, { dkLen: 64 })),
  hashHelper(20, 'hmac_blake2b512', (d, run) => keyed(run, (key) => hmac(blake2b, key, d))),
];
