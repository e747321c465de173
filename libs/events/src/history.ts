import { decodeBatch, DecodeError, edgeIdOfSubject, eventAheadOf, EventRejectCode, EVENTS_STREAM, MAX_EVENT_CLOCK_AHEAD_MS, type EventBatch } from '@flowshield/proto';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { millis, type NatsConnection } from '@nats-io/transport-node';

/** One stored message of the event stream, decoded, or the reason it did not decode. */
export interface HistoryEntry {
  streamSeq: number;
  subject: string;
  /** When the stream stored it, milliseconds since the epoch. */
  storedAt: number;
  batch: EventBatch | null;
  /** Why `batch` is null: it did not decode, or it names another edge than its subject (EventRejectCode.EDGE_MISMATCH). */
  error: DecodeError | null;
}

export interface HistoryOptions {
  stream?: string;
  /** First stream sequence to read (default 1). */
  startSeq?: number;
  /** Or: first message stored at or after this time (ms since the epoch). */
  startTimeMs?: number;
  /** Last stream sequence to read; default the stream's last sequence when reading starts. */
  endSeq?: number;
  /** Only this subject (e.g. one edge's `fs.events.<edge>`). */
  filterSubject?: string;
  /** Messages per fetch (default 1,000: reads are batched like the state service's). */
  fetchSize?: number;
}

/** Where the stream stands: its first and last sequence, for progress reporting. */
export async function eventStreamBounds(nc: NatsConnection, stream = EVENTS_STREAM): Promise<{ firstSeq: number; lastSeq: number; messages: number }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  return { firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, messages: info.state.messages };
}

/**
 * Reads the event history (the stream itself is the log; its `max_age` is how far back it
 * reaches) with an ordered consumer, up to the last sequence present when reading began.
 */
export async function* readEventHistory(nc: NatsConnection, options: HistoryOptions = {}): AsyncGenerator<HistoryEntry> {
  const stream = options.stream ?? EVENTS_STREAM;
  const bounds = await eventStreamBounds(nc, stream);
  const endSeq = options.endSeq ?? bounds.lastSeq;
  const startSeq = Math.max(options.startSeq ?? 1, bounds.firstSeq);
  if (bounds.messages === 0 || endSeq < startSeq) return;
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, {
    ...(options.startTimeMs !== undefined
      ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(options.startTimeMs).toISOString() }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq }),
    ...(options.filterSubject ? { filter_subjects: options.filterSubject } : {}),
  });
  try {
    for (;;) {
      const batch = await consumer.fetch({ max_messages: options.fetchSize ?? 1_000, expires: 2_000 });
      let received = 0;
      for await (const m of batch) {
        received++;
        let decoded: EventBatch | null = null;
        let error: DecodeError | null = null;
        try {
          decoded = decodeBatch(m.data);
          // As the state service does: a batch that disagrees with its subject is never part of the history.
          if (edgeIdOfSubject(m.subject) !== decoded.edgeId) {
            error = new DecodeError(EventRejectCode.EDGE_MISMATCH, `batch from edge ${decoded.edgeId} arrived on ${m.subject}`);
            decoded = null;
          } else if (eventAheadOf(decoded, millis(m.info.timestampNanos))) {
            error = new DecodeError(EventRejectCode.CLOCK_AHEAD, `batch from edge ${decoded.edgeId} holds an event stamped more than ${MAX_EVENT_CLOCK_AHEAD_MS} ms after the stream stored it`);
            decoded = null;
          }
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          error = err;
        }
        yield { streamSeq: m.seq, subject: m.subject, storedAt: millis(m.info.timestampNanos), batch: decoded, error };
        if (m.seq >= endSeq || m.info.pending === 0) return;
      }
      if (received === 0) return;
    }
  } finally {
    await consumer.delete().catch(() => undefined);
  }
}
