import { parseArgs } from 'node:util';
import { DEFAULT_DEADLETTER_STREAM_LIMITS, DEFAULT_EVENT_STREAM_LIMITS, type StreamLimits } from '@flowshield/events';
import { isNameToken } from '@flowshield/proto';
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

  --server URL            NATS server (env NATS_URL, default nats://127.0.0.1:4222)
  --creds FILE            NATS credentials of the state role: .creds or nkey seed file (env NATS_CREDS)
  --tls-ca FILE           CA of the NATS server's TLS certificate (env NATS_TLS_CA)
  --db DIR                replica folder (env STATE_DB, default .data/state)
  --replica-id ID         replica id (env STATE_REPLICA_ID, default replica-1)
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

/** Flags win over environment variables, which win over defaults. */
export function parseStateConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): StateConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' }, creds: { type: 'string' }, 'tls-ca': { type: 'string' }, db: { type: 'string' }, 'replica-id': { type: 'string' },
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
  return {
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
