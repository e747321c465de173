import { DEADLETTER_STREAM, DEADLETTER_SUBJECT, EVENTS_STREAM, EVENTS_SUBJECTS } from '@flowshield/proto';
import { jetstreamManager, StorageType, DiscardPolicy, RetentionPolicy, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

export interface EventStreamOptions {
  /** How long the event history is kept (replay reaches this far back); default 30 days. */
  maxAgeMs?: number;
  /** Replicas in a cluster (R3 in production, 1 on one machine). */
  replicas?: number;
  /** De-duplication window for batch message ids; default 2 minutes. */
  duplicateWindowMs?: number;
}

/**
 * Creates (or leaves as is) the event stream and the dead-letter stream. Idempotent, so the
 * state service, the CLI and tests can all call it on start.
 */
export async function ensureEventStreams(nc: NatsConnection, options: EventStreamOptions = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const replicas = options.replicas ?? 1;
  await ensureStream(jsm, {
    name: EVENTS_STREAM,
    subjects: [EVENTS_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeMs ?? 30 * 24 * 3600 * 1000),
    duplicate_window: nanos(options.duplicateWindowMs ?? 2 * 60 * 1000),
    num_replicas: replicas,
  });
  await ensureStream(jsm, {
    name: DEADLETTER_STREAM,
    subjects: [DEADLETTER_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * 24 * 3600 * 1000),
    num_replicas: replicas,
  });
  return jsm;
}

async function ensureStream(jsm: JetStreamManager, config: Parameters<JetStreamManager['streams']['add']>[0]): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
  } catch {
    try {
      await jsm.streams.add(config);
    } catch (err) {
      // Another process may have created it between our two calls.
      await jsm.streams.info(config.name!).catch(() => { throw err; });
    }
  }
}
