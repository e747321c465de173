import {
  CORE_DOMAIN, DEADLETTER_STREAM, DEADLETTER_SUBJECT, EVENTS_STREAM, EVENTS_SUBJECTS, SITE_EVENTS_STREAM, aggregateStream, domainApi, hubStream,
  sitesOf, validateTopology, type Topology,
} from '@flowshield/proto';
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
  const actions: Record<string, StreamAction> = {};
  actions[EVENTS_STREAM] = await ensureStream(jsm, eventStreamConfig(EVENTS_STREAM, options, { subjects: [EVENTS_SUBJECTS] }));
  actions[DEADLETTER_STREAM] = await ensureDeadLetter(jsm, options);
  return { jsm, actions };
}

function eventStreamConfig(name: string, options: EventStreamOptions, shape: Partial<StreamConfig>): Wanted {
  const events = { ...DEFAULT_EVENT_STREAM_LIMITS, ...options.events };
  // The server refuses a de-duplication window longer than the stream keeps messages.
  const window = Math.min(options.duplicateWindowMs ?? 2 * 60 * 1000, events.maxAgeMs > 0 ? events.maxAgeMs : Infinity);
  return {
    name,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(window),
    num_replicas: options.replicas ?? 1,
    ...shape,
    ...limitFields(events),
  };
}

function ensureDeadLetter(jsm: JetStreamManager, options: EventStreamOptions, shape: Partial<StreamConfig> = {}): Promise<StreamAction> {
  return ensureStream(jsm, {
    name: DEADLETTER_STREAM,
    subjects: [DEADLETTER_SUBJECT],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: options.replicas ?? 1,
    ...shape,
    ...limitFields({ ...DEFAULT_DEADLETTER_STREAM_LIMITS, ...options.deadLetter }),
  });
}

export interface RegionStreamOptions extends EventStreamOptions {
  topology: Topology;
  /** The region whose hub and aggregate this service sets up (its replicas read the aggregate). */
  region: string;
}

/**
 * The worldwide stream set-up of one region (DESIGN.md section 5, libs/proto topology.ts), in the
 * core domain: the hub `FS_HUB_<region>` sourcing the region's sites' FS_EVENTS (each from its
 * own domain) and the aggregate `FS_AGG_<region>` sourcing every region's hub, both placed in
 * the region's cluster. Idempotent: a new site or region is added to the sources in place.
 * Returns the aggregate's name, the stream this region's replicas read.
 */
export async function ensureRegionStreams(nc: NatsConnection, options: RegionStreamOptions): Promise<EnsuredStreams & { aggregate: string }> {
  const topology = validateTopology(options.topology);
  if (!topology.regions.some((r) => r.region === options.region)) throw new RangeError(`region ${options.region} is not in the topology`);
  // The state service connects to its region's servers, which serve the core domain as `$JS.API`.
  const jsm = await jetstreamManager(nc);
  const placement = { cluster: options.region, tags: [] };
  const actions: Record<string, StreamAction> = {};
  const hub = hubStream(options.region);
  actions[hub] = await ensureStream(jsm, eventStreamConfig(hub, options, {
    placement,
    sources: sitesOf(topology, options.region).map((site) => ({ name: SITE_EVENTS_STREAM, external: { api: domainApi(site), deliver: '' } })),
  }));
  const aggregate = aggregateStream(options.region);
  actions[aggregate] = await ensureStream(jsm, eventStreamConfig(aggregate, options, {
    placement,
    sources: topology.regions.map((r) => ({ name: hubStream(r.region) })),
  }));
  actions[DEADLETTER_STREAM] = await ensureDeadLetter(jsm, options, { placement });
  return { jsm, actions, aggregate };
}

/**
 * A site's own streams, in the site's JetStream domain (its leaf node): FS_EVENTS, which its
 * edges publish into and which keeps accepting while the region is unreachable, and a mirror of
 * each bucket the edges read (`buckets`: deployments, keys, difficulty), so the site's edges
 * read them locally through an outage too. Needs the site connected; the caller retries.
 */
export async function ensureSiteStreams(nc: NatsConnection, site: string, buckets: readonly string[], options: EventStreamOptions = {}): Promise<Record<string, StreamAction>> {
  const jsm = await jetstreamManager(nc, { domain: site });
  const actions: Record<string, StreamAction> = {};
  actions[`${site}/${SITE_EVENTS_STREAM}`] = await ensureStream(jsm, eventStreamConfig(SITE_EVENTS_STREAM, { ...options, replicas: 1 }, { subjects: [EVENTS_SUBJECTS] }));
  for (const bucket of buckets) {
    const name = `KV_${bucket}`;
    actions[`${site}/${name}`] = await ensureStream(jsm, {
      name,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.New,
      num_replicas: 1,
      // What a KV client checks on the bucket it opens: direct gets, per-key history of one.
      allow_direct: true,
      mirror_direct: true,
      allow_rollup_hdrs: true,
      deny_delete: true,
      max_msgs_per_subject: 1,
      mirror: { name, external: { api: domainApi(CORE_DOMAIN), deliver: '' } },
      max_bytes: -1,
      max_msgs: -1,
      max_age: 0,
    });
  }
  return actions;
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

const sourceKey = (sources: StreamConfig['sources']): string =>
  (sources ?? []).map((s) => `${s.name}@${s.external?.api ?? ''}`).sort().join(',');

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
    && (wanted.duplicate_window === undefined || have.duplicate_window === wanted.duplicate_window)
    && (wanted.sources === undefined || sourceKey(have.sources) === sourceKey(wanted.sources));
  if (same) return 'unchanged';
  // Only the limits (and a hub's or aggregate's sources) change; subjects, storage and replicas stay as the stream has them.
  await jsm.streams.update(wanted.name, {
    ...have,
    max_bytes: wanted.max_bytes,
    max_msgs: wanted.max_msgs,
    max_age: wanted.max_age,
    discard: wanted.discard,
    ...(wanted.duplicate_window !== undefined ? { duplicate_window: wanted.duplicate_window } : {}),
    ...(wanted.sources !== undefined ? { sources: wanted.sources } : {}),
  });
  return 'updated';
}
