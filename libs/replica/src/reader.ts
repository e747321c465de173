import { decodeRegister, type Status, type StatusEvent } from '@flowshield/proto';
import { computeDigest, type StateDigest } from './digest.js';
import { META_KEYS, openReplicaDatabases, readCounter, readSequences, statusKey, type ReplicaDatabases } from './layout.js';
import { isExpired } from './merge.js';

/** What the edge needs for one (tenant, IP). */
export interface ReplicaEntry {
  status: Status;
  /** UNIX seconds; 0 = never. */
  expiry: number;
  hlc: { wall: number; logical: number };
  edgeId: string;
}

/**
 * Read-only view of a replica for edge processes on the same host (LMDB is multi-process).
 * Reads see the writer's commits as of the current read snapshot, which lmdb renews between
 * event-loop turns; nothing here ever writes or blocks on the writer.
 */
export class ReplicaReader {
  readonly path: string;
  private readonly dbs: ReplicaDatabases;

  private constructor(path: string, dbs: ReplicaDatabases) {
    this.path = path;
    this.dbs = dbs;
  }

  static open(path: string): ReplicaReader {
    return new ReplicaReader(path, openReplicaDatabases(path, true));
  }

  /** The current status, or null when there is none or it has expired (expired reads as NONE). */
  lookup(tenant: string, ip: Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): ReplicaEntry | null {
    const event = this.lookupEvent(tenant, ip);
    if (!event || isExpired(event, nowSeconds) || event.status === 0) return null;
    return { status: event.status, expiry: event.expiry, hlc: { wall: event.hlcWall, logical: event.hlcLogical }, edgeId: event.edgeId };
  }

  /** The event that set the register, expired or not (for operators: "which event set it"). */
  lookupEvent(tenant: string, ip: Uint8Array): StatusEvent | null {
    const v = this.dbs.status.get(statusKey(tenant, ip));
    return v === undefined ? null : decodeRegister(v, tenant, ip);
  }

  digest(): StateDigest {
    return computeDigest(this.dbs.status);
  }

  sequences(): Record<string, number> {
    return readSequences(this.dbs.meta);
  }

  appliedEvents(): number {
    return readCounter(this.dbs.meta, META_KEYS.appliedEvents);
  }

  async close(): Promise<void> {
    await this.dbs.root.close();
  }
}
