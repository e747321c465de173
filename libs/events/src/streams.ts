import { DEADLETTER_STREAM, DEADLETTER_SUBJECT, EVENTS_STREAM, EVENTS_SUBJECTS } from '@flowshield/proto';
import {
  jetstreamManager, StorageType, DiscardPolicy, RetentionPolicy, type JetStreamManager, type StreamConfig, type StreamInfo,
} from '@nats-io/jetstream';
import { millis, nanos, type NatsConnection } from '@nats-io/transport-node';

/** A stream's size limits; 0 means no limit of that kind. */
export interface StreamLimits {
  maxBytes: number;
  maxMsgs: number;
  maxAgeMs: number;
}

/**
 * Defaults, chosen for one machine and a small fleet; production sets them from the disk it has.
 * Events are ~60 bytes each, batched up to 500 per message, so 1 GiB holds some 15 million
 * transitions; the 30 days of `maxAgeMs` are how far back `flowshield events`/`replay` reach.
 * Dead letters are for diagnosis: a week, 256 MiB, 100,000 messages at most.
 */
export const DEFAULT_EVENT_STREAM_LIMITS: Readonly<StreamLimits> = { maxBytes: 1024 ** 3, maxMsgs: 0, maxAgeMs: 30 * 24 * 3600 * 1000 };
export const DEFAULT_DEADLETTER_STREAM_LIMITS: Readonly<StreamLimits> = { maxBytes: 256 * 1024 ** 2, maxMsgs: 100_000, maxAgeMs: 7 * 24 * 3600 * 1000 };

export interface EventStreamOptions {
  /** FS_EVENTS limits (default DEFAULT_EVENT_STREAM_LIMITS); fields left out take the default. */
  events?: Partial<StreamLimits>;
  /** FS_EVENTS_DEADLETTER limits (default DEFAULT_DEADLETTER_STREAM_LIMITS). */
  deadLetter?: Partial<StreamLimits>;
  /** Replicas in a cluster (R3 in production, 1 on one machine); used when creating only. */
  replicas?: number;
  /** De-duplication window for batch message ids; default 2 minutes. */
  duplicateWindowMs?: number;
}

/** What ensureEventStreams did to each stream. */
export type StreamAction = 'created' | 'updated' | 'unchanged';

export interface EnsuredStreams {
  jsm: JetStreamManager;
  actions: Record<string, StreamAction>;
}

/**
 * Creates the event stream and the dead-letter stream, or brings an existing one's limits to the
 * ones given (a stream update in place: stored messages stay, nothing is recreated). Idempotent,
 * so every state replica calls it on start; replicas should be configured with the same limits,
 * or the last one started wins.
 *
 * Discard policy: old, for both. When FS_EVENTS is full the oldest messages go, so edges keep
 * publishing and the newest transitions keep reaching every replica; a replica so far behind
 * that messages it never merged were discarded sees its next sequence below the stream's first,
 * counts the loss and must be restored from a snapshot. Discard new would instead refuse the
 * edges' publishes once full: every edge would buffer (bounded) and then refuse new
 * transitions, so a full stream would stop VERIFIED and BLOCKED reaching other edges fleet-wide.
 */
export async function ensureEventStreams(nc: NatsConnection, options: EventStreamOptions = {}): Promise<EnsuredStreams> {
  const jsm = await jetstreamManager(nc);
  const replicas = options.replicas ?? 1;
  const actions: Record<string, StreamAction> = {};
  const events = { ...DEFAULT_EVENT_STREAM_LIMITS, ...options.events };
  // The server refuses a de-duplication window longer than the stream keeps messages.
  const window = Math.min(options.duplicateWindowMs ?? 2 * 60 * 1000, events.maxAgeMs > 0 ? events.maxAgeMs : Infinity);
  actions[EVENTS_STREAM] = await ensureStream(jsm, {
    name: EVENTS_STREAM,
    subjects: [EVENTS_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(window),
    num_replicas: replicas,
    ...limitFields(events),
  });
  actions[DEADLETTER_STREAM] = await ensureStream(jsm, {
    name: DEADLETTER_STREAM,
    subjects: [DEADLETTER_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    ...limitFields({ ...DEFAULT_DEADLETTER_STREAM_LIMITS, ...options.deadLetter }),
  });
  return { jsm, actions };
}

/** A stream's limits as NATS states them (-1 and 0 both read as "no limit", 0 here). */
export function streamLimitsOf(config: Pick<StreamConfig, 'max_bytes' | 'max_msgs' | 'max_age'>): StreamLimits {
  return {
    maxBytes: Math.max(0, config.max_bytes ?? -1),
    maxMsgs: Math.max(0, config.max_msgs ?? -1),
    maxAgeMs: Math.max(0, millis(config.max_age ?? 0)),
  };
}

function limitFields(limits: StreamLimits): Pick<StreamConfig, 'max_bytes' | 'max_msgs' | 'max_age'> {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`stream limit ${name} must be a non-negative integer (0 = none), got ${value}`);
  }
  return {
    max_bytes: limits.maxBytes > 0 ? limits.maxBytes : -1,
    max_msgs: limits.maxMsgs > 0 ? limits.maxMsgs : -1,
    max_age: nanos(limits.maxAgeMs),
  };
}

type Wanted = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'max_bytes' | 'max_msgs' | 'max_age' | 'discard'>;

async function ensureStream(jsm: JetStreamManager, wanted: Wanted): Promise<StreamAction> {
  let info: StreamInfo | null = await jsm.streams.info(wanted.name).catch(() => null);
  if (!info) {
    try {
      await jsm.streams.add(wanted);
      return 'created';
    } catch (err) {
      // Another process may have created it between our two calls; then bring it to our limits.
      info = await jsm.streams.info(wanted.name).catch(() => { throw err; });
    }
  }
  const have = info.config;
  const same = have.max_bytes === wanted.max_bytes && have.max_msgs === wanted.max_msgs
    && have.max_age === wanted.max_age && have.discard === wanted.discard
    && (wanted.duplicate_window === undefined || have.duplicate_window === wanted.duplicate_window);
  if (same) return 'unchanged';
  // Only the limits change; subjects, storage and replicas stay as the stream has them.
  await jsm.streams.update(wanted.name, {
    ...have,
    max_bytes: wanted.max_bytes,
    max_msgs: wanted.max_msgs,
    max_age: wanted.max_age,
    discard: wanted.discard,
    ...(wanted.duplicate_window !== undefined ? { duplicate_window: wanted.duplicate_window } : {}),
  });
  return 'updated';
}
