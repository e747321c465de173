import { parseArgs } from 'node:util';
import { DEFAULT_DEADLETTER_STREAM_LIMITS, DEFAULT_EVENT_STREAM_LIMITS, type StreamLimits } from '@flowshield/events';
import { readFileSync } from 'node:fs';
import { isNameToken, validateTopology, type Topology } from '@flowshield/proto';
import { StateError, StateErrorCode } from './errors.js';

export interface StateConfig {
  servers: string;
  /** NATS credentials (`.creds` or nkey seed file) of the state role; null = none. */
  creds: string | null;
  /** CA of the NATS server's TLS certificate; null = no TLS required. */
  tlsCa: string | null;
  /** Folder of the replica's LMDB environment. */
  db: string;
  /** Names the durable consumer (`state-<id>`) and the snapshots this replica cuts. */
  replicaId: string;
  /** Where this replica runs: a label of every metric and, with a topology, the region whose aggregate it reads. */
  region: string;
  datacenter: string;
  /**
   * The worldwide layout (regions and their leaf sites; libs/proto topology.ts), or null on one
   * node (the stream FS_EVENTS). With it the service sets up its region's hub and aggregate and
   * its sites' streams, and reads the aggregate.
   */
  topology: Topology | null;
  /** Replicas of the streams it creates: 3 in a 3-node region (R3), 1 on one node. */
  streamReplicas: number;
  /** Port for GET /metrics; 0 picks a free one (logged), -1 turns it off. */
  metricsPort: number;
  metricsHost: string;
  /** Stream messages requested at a time, and at most per LMDB transaction. */
  fetchBatch: number;
  /** Commit once this many events are pending. */
  maxEventsPerCommit: number;
  /** Commit at most this many milliseconds after the first pending message. */
  commitDelayMs: number;
  /** Cut a snapshot this often (0 = only on request). */
  snapshotIntervalMs: number;
  /** Start an empty replica from the newest snapshot in the object store. */
  bootstrap: boolean;
  /** Limits applied to FS_EVENTS on start (created or updated in place); 0 = none. Discard policy: old. */
  eventLimits: StreamLimits;
  /** Limits applied to FS_EVENTS_DEADLETTER on start; 0 = none. */
  deadLetterLimits: StreamLimits;
  logLevel: string;
}

const USAGE = `flowshield state service

  --server URL[,URL...]   NATS server(s), every node of the region's cluster (env NATS_URL, default nats://127.0.0.1:4222)
  --creds FILE            NATS credentials of the state role: .creds or nkey seed file (env NATS_CREDS)
  --tls-ca FILE           CA of the NATS server's TLS certificate (env NATS_TLS_CA)
  --db DIR                replica folder (env STATE_DB, default .data/state)
  --replica-id ID         replica id (env STATE_REPLICA_ID, default replica-1)
  --region NAME           region this replica serves (env STATE_REGION, default local)
  --datacenter NAME       datacenter it runs in (env STATE_DATACENTER, default local)
  --stream-replicas N     replicas of the streams it creates, 1 or 3 (env STATE_STREAM_REPLICAS, default 1)
  --topology FILE         regions and sites, JSON {"regions":[{"region","sites":[...]}]} (env STATE_TOPOLOGY);
                          absent: one node, stream FS_EVENTS
  --metrics-port N        Prometheus port, 0 = any free port, -1 = off (env STATE_METRICS_PORT, default 9464)
  --metrics-host HOST     metrics bind address (env STATE_METRICS_HOST, default 127.0.0.1)
  --fetch-batch N         messages requested at a time and at most per commit (env STATE_FETCH_BATCH, default 256)
  --commit-delay-ms N     commit at most N ms after the first pending message (env STATE_COMMIT_DELAY_MS, default 5)
  --snapshot-interval-ms N  snapshot period, 0 = off (env STATE_SNAPSHOT_INTERVAL_MS, default 0)
  --no-bootstrap          do not restore an empty replica from the newest snapshot
  --events-max-bytes N    FS_EVENTS size limit, bytes or 512MiB/1GiB, 0 = none (env STATE_EVENTS_MAX_BYTES, default 1GiB)
  --events-max-msgs N     FS_EVENTS message limit, 0 = none (env STATE_EVENTS_MAX_MSGS, default 0)
  --events-max-age-ms N   FS_EVENTS age limit, 0 = none (env STATE_EVENTS_MAX_AGE_MS, default 30 days)
  --deadletter-max-bytes N, --deadletter-max-msgs N, --deadletter-max-age-ms N
                          the same for FS_EVENTS_DEADLETTER (env STATE_DEADLETTER_MAX_BYTES|MSGS|AGE_MS,
                          defaults 256MiB, 100000, 7 days)
                          Both streams discard the oldest messages when a limit is reached; the
                          limits are applied on start (an existing stream is updated in place).
  --log-level LEVEL       pino level (env LOG_LEVEL, default info)
`;

export function stateUsage(): string {
  return USAGE;
}

function int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new StateError(StateErrorCode.CONFIG, `${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte count: digits, optionally with a binary unit (K, M, G, T, with or without iB). */
function bytes(name: string, text: string): number {
  const m = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const n = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(n)) throw new StateError(StateErrorCode.CONFIG, `${name} must be a byte count such as 1073741824 or 1GiB (0 = no limit), got ${JSON.stringify(text)}`);
  return n;
}

function readTopology(file: string): Topology {
  try {
    return validateTopology(JSON.parse(readFileSync(file, 'utf8')) as Topology);
  } catch (cause) {
    throw new StateError(StateErrorCode.CONFIG, `--topology ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** Flags win over environment variables, which win over defaults. */
export function parseStateConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): StateConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' }, region: { type: 'string' }, datacenter: { type: 'string' }, topology: { type: 'string' }, 'stream-replicas': { type: 'string' }, creds: { type: 'string' }, 'tls-ca': { type: 'string' }, db: { type: 'string' }, 'replica-id': { type: 'string' },
        'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' }, 'fetch-batch': { type: 'string' }, 'commit-delay-ms': { type: 'string' },
        'snapshot-interval-ms': { type: 'string' }, 'no-bootstrap': { type: 'boolean' }, 'log-level': { type: 'string' },
        'events-max-bytes': { type: 'string' }, 'events-max-msgs': { type: 'string' }, 'events-max-age-ms': { type: 'string' },
        'deadletter-max-bytes': { type: 'string' }, 'deadletter-max-msgs': { type: 'string' }, 'deadletter-max-age-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (cause) {
    throw new StateError(StateErrorCode.CONFIG, (cause as Error).message, { cause });
  }
  if (values.help) return 'help';
  const replicaId = values['replica-id'] ?? env.STATE_REPLICA_ID ?? 'replica-1';
  if (!isNameToken(replicaId)) throw new StateError(StateErrorCode.CONFIG, `replica id must be 1–64 of [A-Za-z0-9_-]: ${replicaId}`);
  const place = (name: string, value: string): string => {
    if (!isNameToken(value)) throw new StateError(StateErrorCode.CONFIG, `${name} must be 1–64 of [A-Za-z0-9_-]: ${value}`);
    return value;
  };
  const region = place('--region', values.region ?? env.STATE_REGION ?? 'local');
  const topologyFile = values.topology ?? (env.STATE_TOPOLOGY || null);
  const topology = topologyFile ? readTopology(topologyFile) : null;
  if (topology && !topology.regions.some((r) => r.region === region)) {
    throw new StateError(StateErrorCode.CONFIG, `region ${region} is not one of the topology's (${topology.regions.map((r) => r.region).join(', ')})`);
  }
  return {
    region,
    datacenter: place('--datacenter', values.datacenter ?? env.STATE_DATACENTER ?? 'local'),
    topology,
    streamReplicas: int('--stream-replicas', values['stream-replicas'] ?? env.STATE_STREAM_REPLICAS ?? '1', 1),
    servers: values.server ?? env.NATS_URL ?? 'nats://127.0.0.1:4222',
    creds: values.creds ?? (env.NATS_CREDS || null),
    tlsCa: values['tls-ca'] ?? (env.NATS_TLS_CA || null),
    db: values.db ?? env.STATE_DB ?? '.data/state',
    replicaId,
    metricsPort: int('--metrics-port', values['metrics-port'] ?? env.STATE_METRICS_PORT ?? '9464', -1),
    metricsHost: values['metrics-host'] ?? env.STATE_METRICS_HOST ?? '127.0.0.1',
    fetchBatch: int('--fetch-batch', values['fetch-batch'] ?? env.STATE_FETCH_BATCH ?? '256', 1),
    maxEventsPerCommit: 100_000,
    commitDelayMs: int('--commit-delay-ms', values['commit-delay-ms'] ?? env.STATE_COMMIT_DELAY_MS ?? '5', 0),
    snapshotIntervalMs: int('--snapshot-interval-ms', values['snapshot-interval-ms'] ?? env.STATE_SNAPSHOT_INTERVAL_MS ?? '0', 0),
    bootstrap: !values['no-bootstrap'],
    eventLimits: {
      maxBytes: bytes('--events-max-bytes', values['events-max-bytes'] ?? env.STATE_EVENTS_MAX_BYTES ?? String(DEFAULT_EVENT_STREAM_LIMITS.maxBytes)),
      maxMsgs: int('--events-max-msgs', values['events-max-msgs'] ?? env.STATE_EVENTS_MAX_MSGS ?? String(DEFAULT_EVENT_STREAM_LIMITS.maxMsgs), 0),
      maxAgeMs: int('--events-max-age-ms', values['events-max-age-ms'] ?? env.STATE_EVENTS_MAX_AGE_MS ?? String(DEFAULT_EVENT_STREAM_LIMITS.maxAgeMs), 0),
    },
    deadLetterLimits: {
      maxBytes: bytes('--deadletter-max-bytes', values['deadletter-max-bytes'] ?? env.STATE_DEADLETTER_MAX_BYTES ?? String(DEFAULT_DEADLETTER_STREAM_LIMITS.maxBytes)),
      maxMsgs: int('--deadletter-max-msgs', values['deadletter-max-msgs'] ?? env.STATE_DEADLETTER_MAX_MSGS ?? String(DEFAULT_DEADLETTER_STREAM_LIMITS.maxMsgs), 0),
      maxAgeMs: int('--deadletter-max-age-ms', values['deadletter-max-age-ms'] ?? env.STATE_DEADLETTER_MAX_AGE_MS ?? String(DEFAULT_DEADLETTER_STREAM_LIMITS.maxAgeMs), 0),
    },
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
  };
}
