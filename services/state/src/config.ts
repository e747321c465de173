import { parseArgs } from 'node:util';
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
  /** Stream messages per fetch; each fetch is one LMDB transaction (or more, see maxEventsPerCommit). */
  fetchBatch: number;
  /** Commit early inside a fetch once this many events are pending. */
  maxEventsPerCommit: number;
  /** Cut a snapshot this often (0 = only on request). */
  snapshotIntervalMs: number;
  /** Start an empty replica from the newest snapshot in the object store. */
  bootstrap: boolean;
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
  --fetch-batch N         messages per fetch (env STATE_FETCH_BATCH, default 256)
  --snapshot-interval-ms N  snapshot period, 0 = off (env STATE_SNAPSHOT_INTERVAL_MS, default 0)
  --no-bootstrap          do not restore an empty replica from the newest snapshot
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

/** Flags win over environment variables, which win over defaults. */
export function parseStateConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): StateConfig | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        server: { type: 'string' }, creds: { type: 'string' }, 'tls-ca': { type: 'string' }, db: { type: 'string' }, 'replica-id': { type: 'string' },
        'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' }, 'fetch-batch': { type: 'string' },
        'snapshot-interval-ms': { type: 'string' }, 'no-bootstrap': { type: 'boolean' }, 'log-level': { type: 'string' },
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
    snapshotIntervalMs: int('--snapshot-interval-ms', values['snapshot-interval-ms'] ?? env.STATE_SNAPSHOT_INTERVAL_MS ?? '0', 0),
    bootstrap: !values['no-bootstrap'],
    logLevel: values['log-level'] ?? env.LOG_LEVEL ?? 'info',
  };
}
