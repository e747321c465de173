import { LruMap, type StateStore, type StatusEntry } from '@flowshield/vm';

const ipKey = (ip: Uint8Array): string => Buffer.from(ip.buffer, ip.byteOffset, ip.byteLength).toString('latin1');

/** Entries a dry run keeps per table: enough for its own flows, never an unbounded copy. */
const DRY_RUN_ENTRIES = 50_000;

/**
 * The state a program in monitoring mode sees: reads go to its own writes first, then to the real
 * state; writes stay here (bounded LRU tables) and are dropped with the deployment. So a monitored
 * challenge flow behaves as it would (CHALLENGED, then VERIFIED), while nothing reaches the
 * overlay, the event stream or the per-source data a later enforcing deployment reads.
 */
export class DryRunState implements StateStore {
  private readonly statuses = new LruMap<string, StatusEntry>(DRY_RUN_ENTRIES);
  private readonly ipData = new LruMap<string, bigint>(DRY_RUN_ENTRIES);
  private readonly flowData = new LruMap<string, bigint>(DRY_RUN_ENTRIES);

  constructor(private readonly real: StateStore) {}

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    const own = this.statuses.get(ipKey(ip));
    if (own) return own.expiry !== 0 && own.expiry <= now ? undefined : own;
    return this.real.getStatus(ip, now);
  }

  setStatus(ip: Uint8Array, entry: StatusEntry): void {
    this.statuses.set(ipKey(ip), { status: entry.status, expiry: entry.expiry });
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ipKey(ip)) ?? this.real.getIpData(ip);
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ipKey(ip), value);
  }

  getFlowData(flow: string): bigint | undefined {
    return this.flowData.get(flow) ?? this.real.getFlowData(flow);
  }

  setFlowData(flow: string, value: bigint): void {
    this.flowData.set(flow, value);
  }
}
