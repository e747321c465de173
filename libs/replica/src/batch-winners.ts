import type { StatusEvent } from '@flowshield/proto';
import { supersedes } from './merge.js';
import { tenantKeyPrefix } from './layout.js';

/** An IPv4-mapped address (::ffff:a.b.c.d) as 16 bytes: the first 12 are these. */
const V4_MAPPED_HEAD = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;
/** Below this many addresses of one tenant a sort key carries the address and its index exactly (2^53 / 2^32). */
const PACKED_SORT_LIMIT = 2 ** 21;

interface TenantWinners {
  /** the tenant's key prefix ([length][UTF-8]) as a latin1 string: tenants sort by it, as LMDB sorts their keys */
  prefix: string;
  /** IPv4-mapped sources by their 32-bit address: no string made per event */
  v4: Map<number, StatusEvent>;
  /** other IPv6 sources by their 16 bytes as a latin1 string */
  v6: Map<string, StatusEvent>;
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

  add(event: StatusEvent): void {
    let t = this.tenants.get(event.tenant);
    if (t === undefined) {
      const prefix = latin1(tenantKeyPrefix(event.tenant));
      t = this.byPrefix.get(prefix);
      if (t === undefined) {
        t = { prefix, v4: new Map(), v6: new Map() };
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

  /** The winners in LMDB key order: by tenant prefix, then by address bytes. */
  ordered(): StatusEvent[] {
    const out: StatusEvent[] = [];
    const tenants = [...this.byPrefix.values()].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
    for (const t of tenants) {
      // An address that is not IPv4-mapped differs from ::ffff:0:0/96 in its first 12 bytes, so it
      // sorts wholly before or after every IPv4-mapped one.
      const v6 = [...t.v6.keys()].sort();
      let i = 0;
      while (i < v6.length && v6[i]! < V4_MAPPED_HEAD_TEXT) out.push(t.v6.get(v6[i++]!)!);
      pushV4InOrder(t.v4, out);
      while (i < v6.length) out.push(t.v6.get(v6[i++]!)!);
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
function pushV4InOrder(byAddress: Map<number, StatusEvent>, out: StatusEvent[]): void {
  const n = byAddress.size;
  if (n === 0) return;
  if (n >= PACKED_SORT_LIMIT) {
    const addresses = [...byAddress.keys()].sort((a, b) => a - b);
    for (const a of addresses) out.push(byAddress.get(a)!);
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
  for (let k = 0; k < n; k++) out.push(events[keys[k]! % PACKED_SORT_LIMIT]!);
}
