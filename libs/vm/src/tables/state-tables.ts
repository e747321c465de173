/*
 * Per-source state as LruTables with values in typed arrays: statuses by IP, and 64-bit user data
 * by IP or by flow. The VM's InMemoryState, the edge's overlay and its dry-run shadow all use these,
 * so there is one implementation of "bounded per-source state".
 */
import { LruTable } from './lru-table.js';

/** An IP as the VM sees it: 16 bytes (IPv4 mapped into IPv6). */
export const IP_KEY_BYTES = 16;
/** A flow: source IP, source port, destination IP, destination port (see flowKeyInto). */
export const FLOW_KEY_BYTES = 36;

/** Writes a flow's key into `out` (FLOW_KEY_BYTES) and returns it. */
export function flowKeyInto(out: Uint8Array, srcIp: Uint8Array, srcPort: number, dstIp: Uint8Array, dstPort: number): Uint8Array {
  out.set(srcIp.subarray(0, 16), 0);
  out[16] = srcPort >>> 8;
  out[17] = srcPort & 0xff;
  out.set(dstIp.subarray(0, 16), 18);
  out[34] = dstPort >>> 8;
  out[35] = dstPort & 0xff;
  return out;
}

export interface StoredStatus {
  status: number;
  /** UNIX seconds; 0 = never expires */
  expiry: number;
  /** hybrid logical clock of the transition (the edge's overlay; 0 elsewhere) */
  hlcWall: number;
  hlcLogical: number;
}

/** Value bytes per status entry: status (1), expiry (8), hlc wall (8), hlc logical (4). */
const STATUS_VALUE_BYTES = 21;

/** Statuses by IP, bounded by a byte budget (least recently written or read evicted first). */
export class StatusTable {
  readonly table: LruTable;
  private readonly status: Uint8Array;
  private readonly expiry: Float64Array;
  private readonly hlcWall: Float64Array;
  private readonly hlcLogical: Uint32Array;

  static capacityFor(maxBytes: number): number {
    return LruTable.capacityFor(maxBytes, IP_KEY_BYTES, STATUS_VALUE_BYTES);
  }

  constructor(limit: { maxBytes: number } | { capacity: number }) {
    this.table = new LruTable({ keyBytes: IP_KEY_BYTES, valueBytes: STATUS_VALUE_BYTES, ...limit });
    const n = this.table.capacity;
    this.status = new Uint8Array(n);
    this.expiry = new Float64Array(n);
    this.hlcWall = new Float64Array(n);
    this.hlcLogical = new Uint32Array(n);
  }

  get size(): number {
    return this.table.size;
  }

  get capacity(): number {
    return this.table.capacity;
  }

  /** The stored entry (expired or not) without touching its recency. */
  peek(ip: Uint8Array): StoredStatus | undefined {
    const slot = this.table.find(ip);
    return slot < 0 ? undefined : this.at(slot);
  }

  /** The stored entry (expired or not), now the most recently used. */
  get(ip: Uint8Array): StoredStatus | undefined {
    const slot = this.table.get(ip);
    return slot < 0 ? undefined : this.at(slot);
  }

  set(ip: Uint8Array, entry: { status: number; expiry: number; hlcWall?: number; hlcLogical?: number }): void {
    const slot = this.table.upsert(ip);
    this.status[slot] = entry.status;
    this.expiry[slot] = entry.expiry;
    this.hlcWall[slot] = entry.hlcWall ?? 0;
    this.hlcLogical[slot] = entry.hlcLogical ?? 0;
  }

  delete(ip: Uint8Array): boolean {
    return this.table.delete(ip) >= 0;
  }

  /** Entries as [hex IP, status], least recently used first (tests compare runs with it). */
  *entries(): IterableIterator<[string, { status: number; expiry: number }]> {
    for (const slot of this.table.slots()) {
      yield [Buffer.from(this.table.keyAt(slot)).toString('hex'), { status: this.status[slot]!, expiry: this.expiry[slot]! }];
    }
  }

  private at(slot: number): StoredStatus {
    return { status: this.status[slot]!, expiry: this.expiry[slot]!, hlcWall: this.hlcWall[slot]!, hlcLogical: this.hlcLogical[slot]! };
  }
}

/** 64-bit values by fixed-size key (per-IP or per-flow user data), bounded by a byte budget. */
export class U64Table {
  readonly table: LruTable;
  private readonly values: BigUint64Array;

  static capacityFor(maxBytes: number, keyBytes: number): number {
    return LruTable.capacityFor(maxBytes, keyBytes, 8);
  }

  constructor(keyBytes: number, limit: { maxBytes: number } | { capacity: number }) {
    this.table = new LruTable({ keyBytes, valueBytes: 8, ...limit });
    this.values = new BigUint64Array(this.table.capacity);
  }

  get size(): number {
    return this.table.size;
  }

  get capacity(): number {
    return this.table.capacity;
  }

  get(key: Uint8Array): bigint | undefined {
    const slot = this.table.get(key);
    return slot < 0 ? undefined : this.values[slot];
  }

  set(key: Uint8Array, value: bigint): void {
    this.values[this.table.upsert(key)] = BigInt.asUintN(64, value);
  }
}
