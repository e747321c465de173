import { decodeRegister, encodeRegisterInto, REGISTER_MAX_LENGTH, type StatusEvent } from '@flowshield/proto';
import { mkdirSync, readdirSync } from 'node:fs';
import { computeDigest, type StateDigest } from './digest.js';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import {
  MAX_STATUS_KEY, META_KEYS, openReplicaDatabases, parseStatusKey, readCounter, readSequences, sequenceKey, statusKey, type ReplicaDatabases,
} from './layout.js';
import { BatchWinners, type OrderedWinners } from './batch-winners.js';
import { compareEvents, supersedes, type EventOrder } from './merge.js';

/** What one commit carries: events from messages of one source stream, up to `lastSequence`. */
export interface MergeBatch {
  stream: string;
  /** Stream sequence of the last message included; stored in the same transaction as the data. */
  lastSequence: number;
  /** Number of stream messages this commit covers (for the message counter). */
  messages: number;
  /**
   * The stream sequence the replica must have recorded for this batch to apply: the batch
   * continues from there. Checked inside the transaction, so a commit that would skip messages
   * (an earlier commit that the replica no longer holds) fails and stores nothing.
   */
  after?: number;
  events: readonly StatusEvent[];
}

export interface MergeResult {
  /** Events that replaced a register. */
  changed: number;
  /** Events that lost to or equalled the stored register. */
  ignored: number;
  /** Keys written without reading their register first (proved above the high-water mark). */
  unread: number;
}

export interface ReplicaCounters {
  appliedEvents: number;
  appliedMessages: number;
  ignoredEvents: number;
}

/**
 * The only writer of a replica (services/state, replay). Each `merge` is one LMDB transaction
 * holding the data, the stream sequence, the counters and the high-water mark, so a crash leaves
 * either all or none of them.
 *
 * The high-water mark H is the greatest event (in the merge order, `compareEvents`) the replica
 * has ever merged; none for an empty replica. Invariant: every stored register is an event that
 * was merged, so it is <= H (H only grows, in the transaction that merges it). Hence an incoming
 * event e > H is greater than whatever register its key holds, or the key is new: e wins without
 * reading the register. This covers a fresh replica (no H: every key is new), a replay or catch-up
 * past the replica's state, and live traffic newer than all merged so far. An event <= H (late,
 * or a duplicate) takes the read-compare path. The result is the same register either way, so the
 * merge stays deterministic and the digest means what it did.
 */
export class ReplicaWriter {
  readonly path: string;
  private dbs: ReplicaDatabases;
  private highWater: EventOrder | null;
  /** Reused per merge: the winner of each key. */
  private readonly winners = new BatchWinners();
  private readonly keyScratch = Buffer.alloc(MAX_STATUS_KEY);
  private readonly valueScratch = Buffer.alloc(REGISTER_MAX_LENGTH);
  private readonly valueView = new DataView(this.valueScratch.buffer, this.valueScratch.byteOffset, this.valueScratch.byteLength);
  /** Views of the scratch buffers by length (keys of one tenant, registers of one edge id length). */
  private readonly keyViews: Buffer[] = [];
  private readonly valueViews: Buffer[] = [];

  private constructor(path: string, dbs: ReplicaDatabases) {
    this.path = path;
    this.dbs = dbs;
    this.highWater = loadHighWater(dbs);
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

  /** The greatest event order merged so far (null for an empty replica). */
  highWaterMark(): EventOrder | null {
    return this.highWater;
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
   * same IP many times costs at most one read and one write for it; the keys are then written in
   * LMDB key order (neighbouring keys share pages), each read skipped when the high-water mark
   * proves the event wins.
   */
  merge(batch: MergeBatch): MergeResult {
    const winners = this.reduce(batch);
    return this.dbs.root.transactionSync(() => this.write(batch, winners));
  }

  /**
   * The same merge in one asynchronous transaction: the writes run on this thread when lmdb's
   * write thread opens the transaction, the commit and its flush to disk on that thread, so the
   * caller can read and decode meanwhile. Resolves once committed (readers see it); a rejection
   * means nothing of the batch was stored. One at a time: call again only once it settled.
   */
  mergeAsync(batch: MergeBatch): Promise<MergeResult> {
    const winners = this.reduce(batch);
    // Not a child transaction (which copies every page it dirties once more): write() does all
    // that can throw before its first put, and a failed put fails the whole LMDB transaction.
    return this.dbs.root.transaction(() => this.write(batch, winners));
  }

  /** Reduces the batch to one winner per key, listed in LMDB key order. */
  private reduce(batch: MergeBatch): OrderedWinners {
    const winners = this.winners;
    for (const event of batch.events) winners.add(event);
    // A fresh list each time: an asynchronous merge may still hold the last one.
    const ordered = winners.ordered();
    winners.clear();
    return ordered;
  }

  /**
   * Writes the winners inside the open write transaction. The mark is read here, not when the
   * batch was reduced, and raised here: so it covers every batch written before in this or an
   * earlier transaction. If the transaction then fails the in-memory mark stays above what is
   * stored, which is safe — the invariant needs only stored <= mark (a mark too high costs reads).
   */
  private write(batch: MergeBatch, winners: OrderedWinners): MergeResult {
    if (batch.after !== undefined) {
      const recorded = this.sequence(batch.stream);
      if (recorded !== batch.after) {
        throw new ReplicaError(ReplicaErrorCode.SEQUENCE, `the replica recorded ${batch.stream} sequence ${recorded}, but this commit continues from ${batch.after}: nothing of it was stored`, this.path);
      }
    }
    const mark = this.highWater;
    const greatest = winners.top;
    const top = greatest !== null && (mark === null || compareEvents(greatest, mark) > 0) ? greatest : mark;
    const { status, meta } = this.dbs;
    const events = winners.events;
    const n = events.length;
    let unread = 0;
    // Every winner above the mark (its least event is): all written unread, without a pass over them.
    let kept: number[] | null = null;
    if (mark === null || (winners.bottom !== null && compareEvents(winners.bottom, mark) > 0)) {
      unread = n;
    } else {
      // Reads and comparisons first (a register that does not decode throws before anything is written).
      kept = [];
      for (let i = 0; i < n; i++) {
        const event = events[i]!;
        if (compareEvents(event, mark) > 0) unread++;
        else {
          const stored = status.getBinaryFast(this.keyAt(winners, i));
          if (stored !== undefined && !supersedes(event, decodeRegister(stored, event.tenant, event.ip))) continue;
        }
        kept.push(i);
      }
    }
    const changed = kept === null ? n : kept.length;
    for (let k = 0; k < changed; k++) {
      const i = kept === null ? k : kept[k]!;
      // Inside a write transaction put copies key and value at once: the scratch is free again.
      status.put(this.keyAt(winners, i), this.view(this.valueViews, this.valueScratch, encodeRegisterInto(events[i]!, this.valueScratch, this.valueView)));
    }
    const c = this.counters();
    meta.put(META_KEYS.appliedEvents, c.appliedEvents + batch.events.length);
    meta.put(META_KEYS.appliedMessages, c.appliedMessages + batch.messages);
    meta.put(META_KEYS.ignoredEvents, c.ignoredEvents + batch.events.length - changed);
    if (batch.lastSequence > 0) meta.put(sequenceKey(batch.stream), batch.lastSequence);
    if (top !== null && top !== mark) meta.put(META_KEYS.highWater, orderOf(top));
    if (top !== null && top !== mark) this.highWater = orderOf(top);
    return { changed, ignored: batch.events.length - changed, unread };
  }

  /** The key bytes of winner `i`, in the reused key scratch. */
  private keyAt(winners: OrderedWinners, i: number): Buffer {
    return this.view(this.keyViews, this.keyScratch, winners.writeKey(i, this.keyScratch));
  }

  private view(cache: Buffer[], scratch: Buffer, length: number): Buffer {
    return (cache[length] ??= scratch.subarray(0, length));
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

  /**
   * Closes the environment and opens it again: after a failed commit (MDB_PROBLEM), the writer's
   * view of the last transaction may be wrong (see docs/architecture.md, "LMDB and other
   * processes"); a fresh open reads it from the meta pages again.
   */
  async reopen(): Promise<void> {
    await this.dbs.root.close();
    this.dbs = openReplicaDatabases(this.path, false);
    this.highWater = loadHighWater(this.dbs);
  }
}

function orderOf(e: EventOrder): EventOrder {
  return { hlcWall: e.hlcWall, hlcLogical: e.hlcLogical, edgeId: e.edgeId, seq: e.seq };
}

/**
 * The stored mark; for a replica written before the mark existed, the greatest register (one
 * scan, recorded so it happens once) — the registers are then the only merged events known.
 */
function loadHighWater(dbs: ReplicaDatabases): EventOrder | null {
  const stored = dbs.meta.get(META_KEYS.highWater) as EventOrder | undefined;
  if (stored !== undefined) return orderOf(stored);
  let top: EventOrder | null = null;
  for (const { key, value } of dbs.status.getRange({})) {
    const { tenant, ip } = parseStatusKey(key);
    const e = decodeRegister(value, tenant, ip);
    if (top === null || compareEvents(e, top) > 0) top = orderOf(e);
  }
  if (top !== null) dbs.meta.putSync(META_KEYS.highWater, top);
  return top;
}
