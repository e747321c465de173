import { decodeRegister, readRegisterView, type Status, type StatusEvent } from '@flowshield/proto';
import { computeDigest, type StateDigest } from './digest.js';
import { isExpired } from './merge.js';
import { MAX_STATUS_KEY, META_KEYS, openReplicaDatabases, readCounter, readSequences, statusKey, statusKeyInto, type ReplicaDatabases } from './layout.js';

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
  private readonly keyScratch = Buffer.alloc(MAX_STATUS_KEY);

  private constructor(path: string, dbs: ReplicaDatabases) {
    this.path = path;
    this.dbs = dbs;
  }

  static open(path: string): ReplicaReader {
    return new ReplicaReader(path, openReplicaDatabases(path, true));
  }

  /** The current status, or null when there is none or it has expired (expired reads as NONE). */
  lookup(tenant: string, ip: Uint8Array, nowSeconds = Math.floor(Date.now() / 1000)): ReplicaEntry | null {
    // getBinaryFast returns lmdb's reused buffer: read what we need before the next call.
    const bytes = this.dbs.status.getBinaryFast(statusKeyInto(this.keyScratch, tenant, ip));
    if (bytes === undefined) return null;
    const view = readRegisterView(bytes);
    if (view === null || view.status === 0 || isExpired(view, nowSeconds)) return null;
    return { status: view.status as Status, expiry: view.expiry, hlc: { wall: view.hlcWall, logical: view.hlcLogical }, edgeId: view.edgeId };
  }

  /** The event that set the register, expired or not (for operators: "which event set it"). */
  lookupEvent(tenant: string, ip: Uint8Array): StatusEvent | null {
    const v = this.dbs.status.get(statusKey(tenant, ip));
    return v === undefined ? null : decodeRegister(v, tenant, ip);
  }

  /** `onProgress(done, total)` every 65,536 entries: a digest of millions of entries takes seconds. */
  digest(onProgress?: (done: number, total: number) => void): StateDigest {
    const total = onProgress ? this.entryCount() : 0;
    return computeDigest(this.dbs.status, onProgress && ((done) => onProgress(done, total)));
  }

  /** Registers stored (LMDB's own count, no scan). */
  entryCount(): number {
    return (this.dbs.status.getStats() as { entryCount: number }).entryCount;
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
