import { FLOW_KEY_BYTES, IP_KEY_BYTES, StatusTable, U64Table, type StateStore, type StatusEntry } from '@flowshield/vm';

/** Bytes a dry run keeps per table: enough for its own flows, never an unbounded copy. */
export const DRY_RUN_TABLE_BYTES = 2 * 1024 * 1024;

/**
 * The state a program in monitoring mode sees: reads go to its own writes first, then to the real
 * state; writes stay here (LruTables bounded in bytes) and are dropped with the deployment. So a
 * monitored challenge flow behaves as it would (CHALLENGED, then VERIFIED), while nothing reaches
 * the overlay, the event stream or the per-source data a later enforcing deployment reads.
 */
export class DryRunState implements StateStore {
  readonly statuses = new StatusTable({ maxBytes: DRY_RUN_TABLE_BYTES });
  readonly ipData = new U64Table(IP_KEY_BYTES, { maxBytes: DRY_RUN_TABLE_BYTES });
  readonly flowData = new U64Table(FLOW_KEY_BYTES, { maxBytes: DRY_RUN_TABLE_BYTES });

  constructor(private readonly real: StateStore) {}

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    const own = this.statuses.get(ip);
    if (own) return own.expiry !== 0 && own.expiry <= now ? undefined : { status: own.status, expiry: own.expiry };
    return this.real.getStatus(ip, now);
  }

  setStatus(ip: Uint8Array, entry: StatusEntry): void {
    this.statuses.set(ip, entry);
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ip) ?? this.real.getIpData(ip);
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ip, value);
  }

  getFlowData(flow: Uint8Array): bigint | undefined {
    return this.flowData.get(flow) ?? this.real.getFlowData(flow);
  }

  setFlowData(flow: Uint8Array, value: bigint): void {
    this.flowData.set(flow, value);
  }
}
