import type { StateStore, StatusEntry } from './host.js';

/** A Map that forgets its least recently used entries beyond `capacity`. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError('capacity must be positive');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }
}

export const ipKey = (ip: Uint8Array): string => Buffer.from(ip.buffer, ip.byteOffset, ip.byteLength).toString('hex');

/** Per-source statuses and user data in memory, each table bounded (LRU). */
export class InMemoryState implements StateStore {
  readonly statuses: LruMap<string, StatusEntry>;
  private readonly ipData: LruMap<string, bigint>;
  private readonly flowData: LruMap<string, bigint>;

  constructor(options: { statuses?: number; ipData?: number; flowData?: number } = {}) {
    this.statuses = new LruMap(options.statuses ?? 1_000_000);
    this.ipData = new LruMap(options.ipData ?? 1_000_000);
    this.flowData = new LruMap(options.flowData ?? 1_000_000);
  }

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    const entry = this.statuses.peek(ipKey(ip));
    if (!entry || (entry.expiry !== 0 && entry.expiry <= now)) return undefined;
    return entry;
  }

  setStatus(ip: Uint8Array, entry: StatusEntry): void {
    this.statuses.set(ipKey(ip), entry);
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ipKey(ip));
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ipKey(ip), value);
  }

  getFlowData(flow: string): bigint | undefined {
    return this.flowData.get(flow);
  }

  setFlowData(flow: string, value: bigint): void {
    this.flowData.set(flow, value);
  }
}
