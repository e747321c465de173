import { decodeRegister, encodeRegister, type StatusEvent } from '@flowshield/proto';
import { mkdirSync, readdirSync } from 'node:fs';
import { computeDigest, type StateDigest } from './digest.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { META_KEYS, openReplicaDatabases, readCounter, readSequences, sequenceKey, statusKey, type ReplicaDatabases } from './layout.js';
import { supersedes } from './merge.js';

/** What one commit carries: events from messages of one source stream, up to `lastSequence`. */
export interface MergeBatch {
  stream: string;
  /** Stream sequence of the last message included; stored in the same transaction as the data. */
  lastSequence: number;
  /** Number of stream messages this commit covers (for the message counter). */
  messages: number;
  events: readonly StatusEvent[];
}

export interface MergeResult {
  /** Events that replaced a register. */
  changed: number;
  /** Events that lost to or equalled the stored register. */
  ignored: number;
}

export interface ReplicaCounters {
  appliedEvents: number;
  appliedMessages: number;
  ignoredEvents: number;
}

/**
 * The only writer of a replica (services/state, replay). Each `merge` is one LMDB transaction
 * holding the data and the stream sequence, so a crash leaves either both or neither.
 */
export class ReplicaWriter {
  readonly path: string;
  private readonly dbs: ReplicaDatabases;

  private constructor(path: string, dbs: ReplicaDatabases) {
    this.path = path;
    this.dbs = dbs;
  }

  static open(path: string): ReplicaWriter {
    mkdirSync(path, { recursive: true });
    return new ReplicaWriter(path, openReplicaDatabases(path, false));
  }

  /** Last merged sequence per source stream (0 when none). */
  sequences(): Record<string, number> {
    return readSequences(this.dbs.meta);
  }

  sequence(stream: string): number {
    return readCounter(this.dbs.meta, sequenceKey(stream));
  }

  counters(): ReplicaCounters {
    const m = this.dbs.meta;
    return {
      appliedEvents: readCounter(m, META_KEYS.appliedEvents),
      appliedMessages: readCounter(m, META_KEYS.appliedMessages),
      ignoredEvents: readCounter(m, META_KEYS.ignoredEvents),
    };
  }

  /**
   * Merges events into the registers and records the stream position, in one synchronous
   * (durable) transaction. Events are first reduced in memory per key, so a batch touching the
   * same IP many times costs one read and at most one write for it.
   */
  merge(batch: MergeBatch): MergeResult {
    const winners = new Map<string, { key: Buffer; event: StatusEvent }>();
    for (const event of batch.events) {
      const key = statusKey(event.tenant, event.ip);
      const id = key.toString('latin1');
      const seen = winners.get(id);
      if (!seen) winners.set(id, { key, event });
      else if (supersedes(event, seen.event)) seen.event = event;
    }
    const { root, status, meta } = this.dbs;
    let changed = 0;
    root.transactionSync(() => {
      for (const { key, event } of winners.values()) {
        const stored = status.get(key);
        if (stored === undefined || supersedes(event, decodeRegister(stored, event.tenant, event.ip))) {
          status.put(key, encodeRegister(event) as Buffer);
          changed++;
        }
      }
      const c = this.counters();
      meta.put(META_KEYS.appliedEvents, c.appliedEvents + batch.events.length);
      meta.put(META_KEYS.appliedMessages, c.appliedMessages + batch.messages);
      meta.put(META_KEYS.ignoredEvents, c.ignoredEvents + batch.events.length - changed);
      if (batch.lastSequence > 0) meta.put(sequenceKey(batch.stream), batch.lastSequence);
    });
    return { changed, ignored: batch.events.length - changed };
  }

  /** The winning event of a register, expired or not. */
  get(tenant: string, ip: Uint8Array): StatusEvent | undefined {
    const v = this.dbs.status.get(statusKey(tenant, ip));
    return v === undefined ? undefined : decodeRegister(v, tenant, ip);
  }

  digest(): StateDigest {
    return computeDigest(this.dbs.status);
  }

  /** A compacted copy of the whole environment into `dir` (created; must be empty). */
  async backup(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    if (readdirSync(dir).length > 0) {
      throw new ReplicaError(ReplicaErrorCode.SNAPSHOT_TARGET, `snapshot target ${dir} is not empty`, dir);
    }
    await this.dbs.root.backup(dir, true);
  }

  async close(): Promise<void> {
    await this.dbs.root.close();
  }
}
