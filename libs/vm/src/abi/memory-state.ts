import type { StateStore, StatusEntry } from './host.js';
import { FLOW_KEY_BYTES, IP_KEY_BYTES, StatusTable, U64Table } from '../tables/state-tables.js';

export const ipKey = (ip: Uint8Array): string => Buffer.from(ip.buffer, ip.byteOffset, ip.byteLength).toString('hex');

/** Default byte budget of each of InMemoryState's tables (`flowshield test`, tests). */
const DEFAULT_TABLE_BYTES = 16 * 1024 * 1024;

/** Per-source statuses and user data in memory, each table bounded in bytes (LRU). */
export class InMemoryState implements StateStore {
  readonly statuses: StatusTable;
  private readonly ipData: U64Table;
  private readonly flowData: U64Table;
  /** moved on by every setStatus: the only way an answer of getStatus changes, apart from time */
  private version = 0;

  constructor(options: { statusBytes?: number; ipDataBytes?: number; flowDataBytes?: number } = {}) {
    this.statuses = new StatusTable({ maxBytes: options.statusBytes ?? DEFAULT_TABLE_BYTES });
    this.ipData = new U64Table(IP_KEY_BYTES, { maxBytes: options.ipDataBytes ?? DEFAULT_TABLE_BYTES });
    this.flowData = new U64Table(FLOW_KEY_BYTES, { maxBytes: options.flowDataBytes ?? DEFAULT_TABLE_BYTES });
  }

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    const entry = this.statuses.peek(ip);
    if (!entry || (entry.expiry !== 0 && entry.expiry <= now)) return undefined;
    return { status: entry.status, expiry: entry.expiry };
  }

  setStatus(ip: Uint8Array, entry: StatusEntry): void {
    this.statuses.set(ip, entry);
    this.version++;
  }

  statusVersion(): number {
    return this.version;
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ip);
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ip, value);
  }

  getFlowData(flow: Uint8Array): bigint | undefined {
    return this.flowData.get(flow);
  }

  setFlowData(flow: Uint8Array, value: bigint): void {
    this.flowData.set(flow, value);
  }
}
