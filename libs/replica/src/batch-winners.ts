import type { StatusEvent } from '@flowshield/proto';
import { compareEvents, supersedes } from './merge.js';
import { tenantKeyPrefix, writePrefixedStatusKey, writeV4StatusKey } from './layout.js';

/** An IPv4-mapped address (::ffff:a.b.c.d) as 16 bytes: the first 12 are these. */
const V4_MAPPED_HEAD = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;
/** Below this many addresses of one tenant a sort key carries the address and its index exactly (2^53 / 2^32). */
const PACKED_SORT_LIMIT = 2 ** 21;

interface TenantWinners {
  /** the tenant's key prefix ([length][UTF-8]) as a latin1 string: tenants sort by it, as LMDB sorts their keys */
  prefix: string;
  /** the same prefix as bytes, which every key of the tenant starts with */
  prefixBytes: Uint8Array;
  /** IPv4-mapped sources by their 32-bit address: no string made per event */
  v4: Map<number, StatusEvent>;
  /** other IPv6 sources by their 16 bytes as a latin1 string */
  v6: Map<string, StatusEvent>;
}

/**
 * A batch's winners in LMDB key order, with what writes their keys without reading the events
 * again (an IPv4-mapped source's key is its tenant's prefix and its address), and the least and
 * greatest event of the whole batch. Reading 50k events in key order, not in the order they
 * were decoded, misses the cache on each: the fewer passes over them, the faster the merge.
 */
export class OrderedWinners {
  events: StatusEvent[] = [];
  /** per winner: its IPv4 address, or -1 when the source is not IPv4-mapped */
  v4: number[] = [];
  /** per winner: its tenant's key prefix */
  prefixes: Uint8Array[] = [];
  /** the least and the greatest event added (null when none) */
  bottom: StatusEvent | null = null;
  top: StatusEvent | null = null;

  get length(): number {
    return this.events.length;
  }

  /** Writes winner `i`'s LMDB key at the start of `scratch`; returns its length. */
  writeKey(i: number, scratch: Uint8Array): number {
    const address = this.v4[i]!;
    return address < 0
      ? writePrefixedStatusKey(scratch, this.prefixes[i]!, this.events[i]!.ip)
      : writeV4StatusKey(scratch, this.prefixes[i]!, address);
  }
}

/**
 * One merge batch reduced to a winner per (tenant, IP), then listed in LMDB key order. Most
 * sources are IPv4 (IPv4-mapped in the 16-byte key): those are kept by their 32-bit address and
 * sorted as numbers, the rest by their bytes; a latin1 string per event and a sort of strings that
 * all share their first 17 characters cost more than the LMDB puts they feed.
 */
export class BatchWinners {
  /** by the tenant as events spell it; two spellings with one UTF-8 encoding (lone surrogates) share their keys, so one entry */
  private readonly tenants = new Map<string, TenantWinners>();
  private readonly byPrefix = new Map<string, TenantWinners>();
  private bottom: StatusEvent | null = null;
  private top: StatusEvent | null = null;

  add(event: StatusEvent): void {
    // The batch's bounds while its events are read in the order they came (cache-friendly).
    if (this.top === null || compareEvents(event, this.top) > 0) this.top = event;
    if (this.bottom === null || compareEvents(event, this.bottom) < 0) this.bottom = event;
    let t = this.tenants.get(event.tenant);
    if (t === undefined) {
      const prefixBytes = tenantKeyPrefix(event.tenant);
      const prefix = latin1(prefixBytes);
      t = this.byPrefix.get(prefix);
      if (t === undefined) {
        t = { prefix, prefixBytes, v4: new Map(), v6: new Map() };
        this.byPrefix.set(prefix, t);
      }
      this.tenants.set(event.tenant, t);
    }
    const ip = event.ip;
    if (isV4Mapped(ip)) {
      const address = ((ip[12]! << 24) | (ip[13]! << 16) | (ip[14]! << 8) | ip[15]!) >>> 0;
      const seen = t.v4.get(address);
      if (seen === undefined || supersedes(event, seen)) t.v4.set(address, event);
    } else {
      const bytes = latin1(ip);
      const seen = t.v6.get(bytes);
      if (seen === undefined || supersedes(event, seen)) t.v6.set(bytes, event);
    }
  }

  /** The winners in LMDB key order (by tenant prefix, then by address bytes), into `out` (reused). */
  ordered(out: OrderedWinners = new OrderedWinners()): OrderedWinners {
    out.events.length = 0;
    out.v4.length = 0;
    out.prefixes.length = 0;
    out.bottom = this.bottom;
    out.top = this.top;
    const tenants = [...this.byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    for (const t of tenants) {
      // An address that is not IPv4-mapped differs from ::ffff:0:0/96 in its first 12 bytes, so it
      // sorts wholly before or after every IPv4-mapped one.
      const v6 = [...t.v6.keys()].sort();
      const pushV6 = (key: string) => {
        out.events.push(t.v6.get(key)!);
        out.v4.push(-1);
        out.prefixes.push(t.prefixBytes);
      };
      let i = 0;
      while (i < v6.length && v6[i]! < V4_MAPPED_HEAD_TEXT) pushV6(v6[i++]!);
      pushV4InOrder(t.v4, t.prefixBytes, out);
      while (i < v6.length) pushV6(v6[i++]!);
    }
    return out;
  }

  /** Winners held: one per (tenant key prefix, address). */
  get size(): number {
    let n = 0;
    for (const t of this.byPrefix.values()) n += t.v4.size + t.v6.size;
    return n;
  }

  clear(): void {
    this.tenants.clear();
    this.byPrefix.clear();
    this.bottom = null;
    this.top = null;
  }
}

const V4_MAPPED_HEAD_TEXT = String.fromCharCode(...V4_MAPPED_HEAD);

function isV4Mapped(ip: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_MAPPED_HEAD[i]) return false;
  return true;
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Appends the events of `byAddress` by ascending address: one typed-array sort of packed (address, index). */
function pushV4InOrder(byAddress: Map<number, StatusEvent>, prefix: Uint8Array, out: OrderedWinners): void {
  const n = byAddress.size;
  if (n === 0) return;
  const push = (address: number, event: StatusEvent) => {
    out.events.push(event);
    out.v4.push(address);
    out.prefixes.push(prefix);
  };
  if (n >= PACKED_SORT_LIMIT) {
    const addresses = [...byAddress.keys()].sort((a, b) => a - b);
    for (const a of addresses) push(a, byAddress.get(a)!);
    return;
  }
  const events: StatusEvent[] = new Array(n);
  const keys = new Float64Array(n);
  let j = 0;
  for (const [address, event] of byAddress) {
    events[j] = event;
    keys[j] = address * PACKED_SORT_LIMIT + j;
    j++;
  }
  keys.sort();
  for (let k = 0; k < n; k++) {
    const key = keys[k]!;
    push(Math.floor(key / PACKED_SORT_LIMIT), events[key % PACKED_SORT_LIMIT]!);
  }
}
