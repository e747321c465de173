import { randomBytes } from 'node:crypto';
import { batchMessageId, DecodeError, encodeBatch, eventSubject, isNameToken, validateEvent, type StatusEvent } from '@flowshield/proto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { PublisherError, PublisherErrorCode } from './errors.js';
import { HybridLogicalClock } from './hlc.js';

/** What the edge hands over: the publisher adds its edge id, the next sequence and, unless given, an HLC stamp. */
export type EventInput = Omit<StatusEvent, 'edgeId' | 'seq' | 'hlcWall' | 'hlcLogical'>
  & Partial<Pick<StatusEvent, 'hlcWall' | 'hlcLogical'>>;

/** The subset of a pino logger the publisher uses. */
export interface PublisherLogger {
  warn(obj: object, msg?: string): void;
}

export interface EventPublisherOptions {
  /** An existing connection (create it with `noAsyncTraces: true` for publish throughput). */
  connection?: NatsConnection;
  /** Or servers to connect to; the publisher then owns (and closes) the connection. */
  servers?: string | string[];
  /** Extra options for the connection the publisher opens (credentials, TLS, inbox prefix). */
  connectOptions?: Partial<ConnectionOptions>;
  edgeId: string;
  /** Where the edge runs, carried in every batch (name tokens; default '': not said). */
  region?: string;
  datacenter?: string;
  /** Default: `fs.events.<edgeId>`. */
  subject?: string;
  /** Cut a batch at this many events (default 500). */
  maxBatchEvents?: number;
  /** ...or this many milliseconds after its first event (default 5). */
  maxBatchDelayMs?: number;
  /** Events held while not yet acknowledged; beyond it publish() refuses and counts (default 100,000). */
  maxBufferedEvents?: number;
  /** Batches awaiting their ack at once while NATS is healthy (default 32); one at a time while recovering. */
  maxInFlightBatches?: number;
  /** Per-publish ack timeout (default 2,000 ms); a timed-out batch is re-sent with the same message id. */
  publishTimeoutMs?: number;
  /** First retry delay after a failure, doubled up to 2 s (default 100 ms). */
  retryDelayMs?: number;
  /**
   * First per-edge sequence. Default: the current time in microseconds, so sequences (and with
   * them message ids) keep increasing across restarts of the edge and never collide with the
   * de-duplication window of a previous run.
   */
  initialSeq?: number;
  /** The random part of this publisher's message ids (batchMessageId); default 128 random bits. Tests set it to republish as an earlier run. */
  messageIdNonce?: string;
  clock?: HybridLogicalClock;
  logger?: PublisherLogger;
}

/** Counters and gauges the edge exposes as metrics. */
export interface PublisherStats {
  /** Events taken by publish(). */
  accepted: number;
  /** Events acknowledged by JetStream (stored, or recognised as duplicates of a stored batch). */
  published: number;
  publishedBatches: number;
  duplicateBatches: number;
  /** Events accepted but not yet acknowledged: the buffer depth. */
  buffered: number;
  bufferHighWater: number;
  /** Events refused because the buffer was full (reported, never silently dropped). */
  overflow: number;
  /** Events refused because a field was out of range (publish() threw). */
  invalid: number;
  inFlightBatches: number;
  publishFailures: number;
  /** Last sequence handed out (0 before the first event). */
  lastSeq: number;
  /** False from a failed publish until the next acknowledged one. */
  healthy: boolean;
  lastError: string | null;
}

interface OutBatch {
  firstSeq: number;
  msgId: string;
  data: Uint8Array;
  count: number;
  acked: boolean;
}

const OVERFLOW_LOG_INTERVAL_MS = 1_000;

/**
 * Batches status events and publishes them to JetStream, in per-edge order, without ever making
 * the caller wait. While NATS is unreachable it holds a bounded number of events and, when NATS
 * returns, re-sends from the oldest unacknowledged batch, one at a time until an ack arrives,
 * then with the full window again. Each batch keeps its message id across retries, so a batch
 * that was stored but whose ack was lost is de-duplicated by the stream.
 */
export class EventPublisher {
  readonly edgeId: string;
  readonly region: string;
  readonly datacenter: string;
  readonly subject: string;
  readonly clock: HybridLogicalClock;
  private readonly maxBatchEvents: number;
  private readonly maxBatchDelayMs: number;
  private readonly maxBufferedEvents: number;
  private readonly maxInFlight: number;
  private readonly publishTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly logger: PublisherLogger | undefined;
  private readonly ownsConnection: boolean;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private readonly ready: Promise<void>;

  private nextSeq: number;
  /** part of every batch's message id (batchMessageId), for this publisher's life */
  private readonly nonce: string;
  private pending: StatusEvent[] = [];
  private batchTimer: NodeJS.Timeout | null = null;
  private readonly queue: OutBatch[] = [];
  private nextIndex = 0;
  private needsRewind = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private lastOverflowLog = 0;
  private overflowSinceLog = 0;
  private readonly s: PublisherStats = {
    accepted: 0, published: 0, publishedBatches: 0, duplicateBatches: 0, buffered: 0, bufferHighWater: 0,
    overflow: 0, invalid: 0, inFlightBatches: 0, publishFailures: 0, lastSeq: 0, healthy: true, lastError: null,
  };

  constructor(options: EventPublisherOptions) {
    if (!isNameToken(options.edgeId)) {
      throw new PublisherError(PublisherErrorCode.OPTIONS, `edge id must be 1–64 of [A-Za-z0-9_-]: ${JSON.stringify(options.edgeId)}`);
    }
    if (!options.connection && !options.servers) throw new PublisherError(PublisherErrorCode.OPTIONS, 'give a connection or servers');
    this.edgeId = options.edgeId;
    for (const field of ['region', 'datacenter'] as const) {
      const value = options[field];
      if (value !== undefined && value !== '' && !isNameToken(value)) {
        throw new PublisherError(PublisherErrorCode.OPTIONS, `${field} must be 1–64 of [A-Za-z0-9_-]: ${JSON.stringify(value)}`);
      }
    }
    this.region = options.region ?? '';
    this.datacenter = options.datacenter ?? '';
    this.subject = options.subject ?? eventSubject(options.edgeId);
    this.clock = options.clock ?? new HybridLogicalClock();
    this.maxBatchEvents = options.maxBatchEvents ?? 500;
    this.maxBatchDelayMs = options.maxBatchDelayMs ?? 5;
    this.maxBufferedEvents = options.maxBufferedEvents ?? 100_000;
    this.maxInFlight = options.maxInFlightBatches ?? 32;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 2_000;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.retryDelay = this.retryDelayMs;
    this.logger = options.logger;
    this.nextSeq = options.initialSeq ?? Date.now() * 1000;
    this.nonce = options.messageIdNonce ?? randomBytes(16).toString('hex');
    this.ownsConnection = !options.connection;
    this.ready = this.attach(options);
    // A failed first connect is reported through stats and retried by the client; never unhandled.
    this.ready.catch(() => undefined);
  }

  private async attach(options: EventPublisherOptions): Promise<void> {
    const nc = options.connection ?? await this.connectFirst(options);
    if (!nc) return;
    if (this.closed && this.ownsConnection) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.js = jetstream(nc, { timeout: this.publishTimeoutMs });
    this.pump();
  }

  /**
   * Keeps trying the first connection (NATS may come up later; a refused login is logged, not
   * fatal), one warning per 10 s. Events are buffered meanwhile. Null once closed.
   */
  private async connectFirst(options: EventPublisherOptions): Promise<NatsConnection | null> {
    let lastLog = 0;
    while (!this.closed) {
      try {
        return await connect({
          servers: options.servers!, noAsyncTraces: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, ...options.connectOptions,
        });
      } catch (err) {
        this.s.healthy = false;
        this.s.lastError = err instanceof Error ? err.message : String(err);
        if (Date.now() - lastLog >= 10_000) {
          lastLog = Date.now();
          this.logger?.warn({ edgeId: this.edgeId, err: this.s.lastError, buffered: this.s.buffered }, 'NATS not reachable yet; events are buffered');
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    return null;
  }

  /**
   * Takes one status transition for publishing and returns it as it will be sent (with edge id,
   * sequence and HLC), or null when the buffer is full (counted in `overflow`). Never waits.
   * Throws PublisherError (FS_ERR_EVENTS_INVALID_EVENT) for an event with a field out of range.
   */
  publish(input: EventInput): StatusEvent | null {
    if (this.closed) throw new PublisherError(PublisherErrorCode.CLOSED, 'publisher is closed');
    if (this.s.buffered >= this.maxBufferedEvents) {
      this.noteOverflow();
      return null;
    }
    let hlcWall = input.hlcWall, hlcLogical = input.hlcLogical;
    if (hlcWall === undefined || hlcLogical === undefined) {
      const t = this.clock.now();
      hlcWall = t.wall;
      hlcLogical = t.logical;
    }
    let event: StatusEvent;
    try {
      // Checked here, not at the consumer: one bad event would otherwise poison its whole batch.
      event = validateEvent({
        tenant: input.tenant, ip: input.ip, prevStatus: input.prevStatus, status: input.status, expiry: input.expiry,
        hlcWall, hlcLogical, edgeId: this.edgeId, seq: this.nextSeq, reason: input.reason, programVersion: input.programVersion,
      });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.s.invalid++;
      throw new PublisherError(PublisherErrorCode.INVALID_EVENT, err.message, { cause: err });
    }
    this.nextSeq++;
    this.s.lastSeq = event.seq;
    this.s.accepted++;
    this.s.buffered++;
    if (this.s.buffered > this.s.bufferHighWater) this.s.bufferHighWater = this.s.buffered;
    this.pending.push(event);
    if (this.pending.length >= this.maxBatchEvents) this.cutBatch();
    else if (!this.batchTimer) {
      this.batchTimer = setTimeout(() => this.cutBatch(), this.maxBatchDelayMs);
      this.batchTimer.unref();
    }
    return event;
  }

  /** A copy of the counters and gauges. */
  get stats(): PublisherStats {
    return { ...this.s };
  }

  /** Resolves when every event accepted so far is acknowledged; rejects after `timeoutMs`. */
  async flush(timeoutMs = 30_000): Promise<void> {
    this.cutBatch();
    if (this.s.buffered === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let waiter: (() => void) | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => { waiter = resolve; this.idleWaiters.push(resolve); }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new PublisherError(PublisherErrorCode.FLUSH_TIMEOUT,
            `${this.s.buffered} events still unacknowledged after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      this.idleWaiters = this.idleWaiters.filter((w) => w !== waiter);
    }
  }

  /**
   * Flushes, then stops accepting and closes the connection if the publisher opened it. Rejects
   * (after closing) with the number of events left unacknowledged, so none is lost silently.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    if (this.closed) return;
    let failure: unknown = null;
    try {
      await this.flush(timeoutMs);
    } catch (err) {
      failure = err;
    }
    this.closed = true;
    if (this.batchTimer) clearTimeout(this.batchTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.ownsConnection && this.nc) await this.nc.close().catch(() => undefined);
    if (failure) throw failure;
  }

  private cutBatch(): void {
    if (this.batchTimer) {
      clearTimeout(this.batchTimer);
      this.batchTimer = null;
    }
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    const firstSeq = events[0]!.seq;
    this.queue.push({
      firstSeq,
      msgId: batchMessageId(this.edgeId, this.nonce, firstSeq),
      data: encodeBatch({ edgeId: this.edgeId, region: this.region, datacenter: this.datacenter, events }),
      count: events.length,
      acked: false,
    });
    this.pump();
  }

  /** Sends queued batches in order, up to the window: full when healthy, one while recovering. */
  private pump(): void {
    if (!this.js || this.needsRewind || this.retryTimer) return;
    const window = this.s.healthy ? this.maxInFlight : 1;
    while (this.s.inFlightBatches < window && this.nextIndex < this.queue.length) {
      const batch = this.queue[this.nextIndex++]!;
      if (!batch.acked) void this.send(batch);
    }
  }

  private async send(batch: OutBatch): Promise<void> {
    this.s.inFlightBatches++;
    try {
      const ack = await this.js!.publish(this.subject, batch.data, { msgID: batch.msgId, timeout: this.publishTimeoutMs });
      batch.acked = true;
      this.s.published += batch.count;
      this.s.publishedBatches++;
      if (ack.duplicate) this.s.duplicateBatches++;
      // An ack for a batch sent before the failure proves nothing about the ones after it: stay
      // in one-at-a-time mode until a batch sent after the rewind is acknowledged.
      if (!this.s.healthy && !this.needsRewind) {
        this.s.healthy = true;
        this.retryDelay = this.retryDelayMs;
      }
    } catch (err) {
      this.s.publishFailures++;
      this.s.lastError = err instanceof Error ? err.message : String(err);
      if (this.s.healthy) this.logger?.warn({ edgeId: this.edgeId, err: this.s.lastError, buffered: this.s.buffered }, 'event publish failed; buffering');
      this.s.healthy = false;
      this.needsRewind = true;
    }
    this.s.inFlightBatches--;
    this.releaseAcked();
    if (this.needsRewind && this.s.inFlightBatches === 0) this.rewind();
    else this.pump();
  }

  /** Drops acknowledged batches from the head of the queue and wakes flush() when all is acknowledged. */
  private releaseAcked(): void {
    while (this.queue.length > 0 && this.queue[0]!.acked) {
      this.s.buffered -= this.queue.shift()!.count;
      this.nextIndex--;
    }
    if (this.s.buffered === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** After a failure, once nothing is in flight: start again from the oldest unacknowledged batch. */
  private rewind(): void {
    this.needsRewind = false;
    this.nextIndex = 0;
    if (this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.pump();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, 2_000);
  }

  private noteOverflow(): void {
    this.s.overflow++;
    this.overflowSinceLog++;
    const now = Date.now();
    if (now - this.lastOverflowLog >= OVERFLOW_LOG_INTERVAL_MS) {
      this.logger?.warn({ edgeId: this.edgeId, refused: this.overflowSinceLog, overflowTotal: this.s.overflow, buffered: this.s.buffered },
        'event buffer full; events refused');
      this.lastOverflowLog = now;
      this.overflowSinceLog = 0;
    }
  }
}
