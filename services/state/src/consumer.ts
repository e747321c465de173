import {
  decodeBatch, DecodeError, edgeIdOfSubject, eventAheadOf, EventRejectCode, EVENTS_STREAM, EVENTS_SUBJECTS, MAX_EVENT_CLOCK_AHEAD_MS, STATE_CONSUMER_PREFIX, type StatusEvent,
} from '@flowshield/proto';
import { ReplicaError, ReplicaErrorCode, type ReplicaWriter } from '@flowshield/replica';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { millis, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { deadLetter, type Refusal } from './deadletter.js';
import type { StateMetrics } from './metrics.js';
import { RateLimitedLog } from '@flowshield/service-log';

export interface ConsumerOptions {
  nc: NatsConnection;
  writer: ReplicaWriter;
  replicaId: string;
  metrics: StateMetrics;
  logger: Logger;
  stream?: string;
  /** Messages requested at a time, and at most per commit. */
  fetchBatch: number;
  maxEventsPerCommit: number;
  /** A pending commit waits at most this long after its first message. */
  commitDelayMs: number;
}

/**
 * Reads the event stream continuously and merges it into the replica. The replica, not the
 * server, knows what was merged: on start the durable consumer is re-created at the sequence
 * LMDB recorded, each commit stores the new sequence in the same transaction as the data, and
 * only then is the stream acknowledged. A crash anywhere re-delivers exactly what was not
 * committed, and a message at or below the recorded sequence is never merged again.
 */
export class StateConsumer {
  readonly stream: string;
  readonly durable: string;
  private readonly js: JetStreamClient;
  private readonly log: RateLimitedLog;
  private stopping = false;
  private loop: Promise<void> | null = null;
  /** the stream sequence the next message must have; set by position(), advanced per message */
  private expected = 1;
  /** The sequence the replica recorded when the last commit settled: the next commit continues from it. */
  private committed = 0;
  /** stream sequences below this were already counted as lost (a re-position must not count them twice) */
  private lostCountedTo = 0;
  private messages: ConsumerMessages | null = null;
  /** Messages read but not yet merged: committed together, acknowledged by the last one. */
  private pending: { events: StatusEvent[]; last: JsMsg | null; messages: number } = { events: [], last: null, messages: 0 };
  private timer: NodeJS.Timeout | null = null;
  /** Messages wait beyond the last one read (on the server or in the client's queue). */
  private behind = false;
  /** Messages read, and that count when the timer last found the loop behind. */
  private received = 0;
  private receivedAtTimer = -1;
  /** The commit delay passed while behind: commit once caught up. */
  private due = false;
  /** The commit being written, if any. */
  private inflight: Promise<void> | null = null;
  /** A commit failed: the read loop stops and re-positions. */
  private failure: Error | null = null;

  constructor(private readonly o: ConsumerOptions) {
    this.stream = o.stream ?? EVENTS_STREAM;
    this.durable = `${STATE_CONSUMER_PREFIX}${o.replicaId}`;
    this.js = jetstream(o.nc);
    this.log = new RateLimitedLog(o.logger);
  }

  async start(): Promise<void> {
    const consumer = await this.position();
    this.loop = this.run(consumer);
  }

  /**
   * (Re-)creates the durable consumer at the sequence after the last one LMDB recorded. Used at
   * start and after any failed fetch, so a half-read fetch is never skipped over by a later ack.
   */
  private async position(): Promise<Consumer> {
    const startSeq = this.o.writer.sequence(this.stream) + 1;
    const jsm = await jetstreamManager(this.o.nc);
    const { state } = await jsm.streams.info(this.stream);
    if (startSeq < state.first_seq) {
      // The stream's limits (max_age, max_bytes, max_msgs; discard old) removed messages this
      // replica never merged: it can only be made whole from a snapshot.
      const lost = state.first_seq - Math.max(startSeq, this.lostCountedTo);
      if (lost > 0) {
        this.o.metrics.streamLost.inc({ stream: this.stream }, lost);
        this.lostCountedTo = state.first_seq;
        this.o.logger.error({ stream: this.stream, startSeq, firstSeq: state.first_seq, lost }, 'the stream discarded events before this replica merged them (its limits); restore it from a snapshot');
      }
    }
    // Sequences are contiguous from here: the stream holds only event subjects, and its limits
    // (discard old) only remove from the front.
    this.expected = Math.max(startSeq, state.first_seq || startSeq);
    this.committed = startSeq - 1;
    // Creating or deleting a consumer needs the JetStream meta leader, which a partition can take
    // away (a supercluster whose regions are cut in halves); reading an existing one needs only
    // its stream's own group. So the durable is kept when it already stands where the replica
    // does, and re-created otherwise.
    const existing = await jsm.consumers.info(this.stream, this.durable).catch(() => null);
    const wanted = this.consumerConfig(startSeq);
    // Kept only as this service made it: a reader with consumer-create rights on the stream can
    // re-create a durable of this name with, say, max_ack_pending 1, which would hold this
    // replica back until the stream's limits discard what it never merged.
    const asMade = existing !== null && existing.config.ack_policy === AckPolicy.All && existing.config.filter_subject === wanted.filter_subject
      && existing.config.max_ack_pending === wanted.max_ack_pending && existing.config.ack_wait === wanted.ack_wait;
    if (existing && !asMade) this.log.warn('consumer-config', { stream: this.stream, durable: this.durable }, 'the durable consumer is not configured as this service makes it; re-creating it');
    if (existing && asMade && existing.delivered.stream_seq === startSeq - 1 && existing.num_ack_pending === 0) {
      this.o.logger.info({ stream: this.stream, durable: this.durable, startSeq, kept: true }, 'consumer positioned at the replica\'s recorded sequence');
      return this.js.consumers.get(this.stream, this.durable);
    }
    try {
      await jsm.consumers.delete(this.stream, this.durable).catch(() => undefined);
      await jsm.consumers.add(this.stream, wanted);
    } catch (err) {
      if (!existing || !await jsm.consumers.info(this.stream, this.durable).then(() => true, () => false)) throw err;
      // Cannot re-create it now: read on from the durable as it is. What it delivered and we did
      // not merge comes back after its ack wait; anything at or below the recorded sequence is skipped.
      this.log.warn('rebind', { stream: this.stream, durable: this.durable, err: (err as Error).message }, 'could not re-create the consumer (JetStream meta leader unreachable?); reading on from the existing durable');
      return this.js.consumers.get(this.stream, this.durable);
    }
    this.o.logger.info({ stream: this.stream, durable: this.durable, startSeq }, 'consumer positioned at the replica\'s recorded sequence');
    return this.js.consumers.get(this.stream, this.durable);
  }

  private consumerConfig(startSeq: number) {
    return {
      durable_name: this.durable,
      ack_policy: AckPolicy.All,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
      filter_subject: EVENTS_SUBJECTS,
      max_ack_pending: Math.max(10_000, this.o.fetchBatch * 4),
      ack_wait: nanos(60_000),
    };
  }

  /** The stream sequence this replica merges next (everything below it is merged). */
  get nextSequence(): number {
    return this.expected;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(initial: Consumer): Promise<void> {
    let consumer: Consumer | null = initial;
    while (!this.stopping) {
      try {
        consumer ??= await this.position();
        await this.consume(consumer);
        consumer = null; // the message stream ended without a stop: re-position and go on
      } catch (err) {
        if (this.stopping) break;
        consumer = null;
        this.o.metrics.fetchErrors.inc();
        this.log.warn('fetch', { err: (err as Error).message }, 'reading the event stream failed; re-positioning and retrying');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /**
   * One continuous pull (`consume`: the client keeps `fetchBatch` messages requested and refills
   * at a threshold, so a message is delivered as soon as it is stored). Messages gather into a
   * pending commit, which is merged when it holds `fetchBatch` messages or `maxEventsPerCommit`
   * events, or `commitDelayMs` after its first message — whichever comes first; but a delay that
   * passes while more messages wait (a backlog) only marks the commit due, and it happens when the
   * loop has caught up or a size limit is reached. So commits stay small and quick when the
   * replica keeps up, and grow to the limits under a backlog.
   */
  private async consume(consumer: Consumer): Promise<void> {
    const messages = await consumer.consume({ max_messages: this.o.fetchBatch });
    this.messages = messages;
    try {
      if (this.stopping) return;
      for await (const msg of messages) {
        if (msg.seq < this.expected) continue; // merged before a crash; the recorded sequence says so
        if (msg.seq > this.expected) {
          // A message the server handed to an earlier pull never reached us (a pull that expired
          // while it was in flight). Merging past it and acknowledging everything before would
          // lose it for good: commit what is complete, then re-position at the recorded sequence.
          throw new Error(`gap in the event stream: expected sequence ${this.expected}, got ${msg.seq}`);
        }
        this.expected = msg.seq + 1;
        await this.take(msg);
        if (this.failure) break;
        // The server's count of messages it has not delivered yet, and the ones delivered but not read.
        this.behind = msg.info.pending > 0 || messages.getPending() > 0;
        this.received++;
        if (this.pending.messages >= this.o.fetchBatch || this.pending.events.length >= this.o.maxEventsPerCommit) {
          await this.inflight; // a full commit waits for the one before: reading pauses while LMDB is behind
          if (this.failure) break;
          this.commitPending();
        } else if (this.due && !this.behind) this.commitPending();
        else this.timer ??= setTimeout(this.onTimer, this.o.commitDelayMs);
      }
    } finally {
      this.messages = null;
      await messages.close().catch(() => undefined);
      await this.inflight;
      if (!this.failure) this.commitPending();
      await this.inflight;
    }
    const failure = this.failure;
    this.failure = null;
    if (failure) {
      this.pending = { events: [], last: null, messages: 0 }; // read again after re-positioning
      if (failure instanceof ReplicaError && failure.code === ReplicaErrorCode.SEQUENCE) {
        // LMDB no longer holds a commit that had settled (another process opening the replica
        // moved the shared transaction id back: docs/architecture.md, "LMDB and other processes"):
        // its messages are read again from what it does hold.
        this.o.metrics.sequenceConflicts.inc();
        this.o.logger.error({ err: failure.message }, 'the replica does not continue from the last commit; re-reading from its recorded sequence');
      } else if (!(failure instanceof ReplicaError)) {
        // LMDB itself refused the commit (seen: MDB_PROBLEM after another process's open moved the
        // shared transaction id back two commits); every later commit in this environment fails
        // the same way until it is opened again.
        this.o.logger.error({ err: failure.message }, 'an LMDB commit failed; reopening the replica');
        await this.o.writer.reopen();
      }
      throw failure;
    }
  }

  /** Adds one message to the pending commit (its events, or nothing when it is dead-lettered). */
  private async take(msg: JsMsg): Promise<void> {
    try {
      const batch = decodeBatch(msg.data);
      // The subject is what NATS permissions vouch for (an edge publishes only on its own);
      // a batch naming another edge is forged or broken and is never merged.
      const storedAt = millis(msg.info.timestampNanos);
      const ahead = eventAheadOf(batch, storedAt);
      if (edgeIdOfSubject(msg.subject) !== batch.edgeId) {
        await this.reject(msg, 'edge_mismatch', { code: EventRejectCode.EDGE_MISMATCH, message: `batch from edge ${batch.edgeId} arrived on ${msg.subject}` }, { edgeId: batch.edgeId, events: batch.events.length });
      } else if (ahead) {
        // Stamped far past when it was stored, it would win its register for good (merge.ts).
        await this.reject(msg, 'clock_ahead', {
          code: EventRejectCode.CLOCK_AHEAD, message: `event seq ${ahead.seq} is stamped ${ahead.hlcWall - storedAt} ms after the stream stored its batch (at most ${MAX_EVENT_CLOCK_AHEAD_MS})`,
        }, { edgeId: batch.edgeId, events: batch.events.length });
      } else {
        for (const e of batch.events) this.pending.events.push(e);
      }
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.o.metrics.malformed.inc({ code: err.code });
      await this.reject(msg, 'malformed', err, { code: err.code });
    }
    // Counted only now: a timer commit while a dead letter is being written stops before it.
    this.pending.last = msg;
    this.pending.messages++;
  }

  private readonly onTimer = (): void => {
    if (this.timer) clearTimeout(this.timer); // also called when a commit in flight settles
    this.timer = null;
    // Behind the stream, a commit now would carry a fraction of what is already waiting: a commit
    // of random keys costs about the same for 5k events as for 100k (it rewrites most leaf pages),
    // so timer commits during a backlog were what held the throughput down. The read loop commits
    // at the size limits, or as soon as it has caught up.
    // `behind` is what the last message said; a message that said so and was not followed by
    // another within a delay is stale, and the commit happens anyway.
    if (this.behind && this.received !== this.receivedAtTimer) {
      this.due = true;
      this.receivedAtTimer = this.received;
      this.timer = setTimeout(this.onTimer, this.o.commitDelayMs);
      return;
    }
    try {
      this.commitPending();
    } catch (err) {
      // The transaction did not happen: what it held must be read again from the recorded sequence.
      this.failure = err as Error;
      void this.messages?.close().catch(() => undefined);
    }
  };

  /**
   * Starts merging the pending messages in one asynchronous transaction and acknowledges them
   * (AckAll) once it committed. One commit is in flight at a time: while it is, a commit asked
   * for is marked due and follows it, with whatever gathered meanwhile (a group commit). A
   * failed commit stops the read loop, which re-positions at the sequence LMDB recorded.
   */
  private commitPending(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    // After a failed commit the messages it held are read again; committing later ones would skip them.
    if (this.failure) return;
    if (this.inflight) {
      this.due = true;
      return;
    }
    this.due = false;
    const { events, last, messages } = this.pending;
    if (!last || messages === 0) return;
    this.pending = { events: [], last: null, messages: 0 };
    const end = this.o.metrics.commitSeconds.startTimer();
    this.inflight = this.o.writer.mergeAsync({ stream: this.stream, lastSequence: last.seq, messages, events, after: this.committed }).then((result) => {
      end();
      this.committed = last.seq;
      last.ack();
      const m = this.o.metrics;
      m.commits.inc();
      m.eventsApplied.inc(events.length);
      m.eventsChanged.inc(result.changed);
      m.mergeUnread.inc(result.unread);
      m.messagesApplied.inc(messages);
      m.lastSequence.set({ stream: this.stream }, last.seq);
    }, (err: Error) => {
      // The transaction did not happen: what it held must be read again from the recorded sequence.
      this.failure = err;
      this.pending = { events: [], last: null, messages: 0 };
      void this.messages?.close().catch(() => undefined);
    }).finally(() => {
      this.inflight = null;
      if (this.due && !this.failure) this.onTimer();
    });
  }

  private async reject(msg: JsMsg, reason: 'malformed' | 'edge_mismatch' | 'clock_ahead', refusal: Refusal, fields: object): Promise<void> {
    this.o.metrics.rejected.inc({ reason });
    const text = reason === 'malformed' ? 'malformed event message dead-lettered'
      : reason === 'edge_mismatch' ? 'event batch naming another edge than its subject dead-lettered'
        : 'event batch stamped ahead of the stream\'s clock dead-lettered';
    this.log.warn(reason === 'malformed' ? `malformed:${refusal.code}` : reason, { ...fields, reason: refusal.message, seq: msg.seq, subject: msg.subject }, text);
    await deadLetter(this.js, this.stream, msg, refusal);
    this.o.metrics.deadLettered.inc();
  }
}
