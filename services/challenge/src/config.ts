import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ChallengeConfigError } from './errors.js';
import { parseMasterKey } from './key-derivation.js';

export interface ChallengeRuntimeConfig {
  natsUrl: string;
  /** NATS credentials of the challenge role; null = none. */
  natsCreds: string | null;
  /** CA of the NATS server's TLS certificate; null = no TLS required. */
  natsTlsCa: string | null;
  masterKey: Uint8Array;
  /** True when no master key was configured and a random one was made (development only). */
  ephemeralMasterKey: boolean;
  metricsPort: number;
  metricsHost: string;
  epochSeconds: number;
  validitySeconds: number;
  signingKeyId: number;
  logLevel: string;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ChallengeConfigError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Reads the service's settings from the environment:
 *   NATS_URL                                 default nats://127.0.0.1:4222
 *   NATS_CREDS                               credentials file (.creds or nkey seed) of the challenge role
 *   NATS_TLS_CA                              CA of the NATS server's TLS certificate
 *   FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE     file holding the master secret as hex (preferred)
 *   FLOWSHIELD_CHALLENGE_MASTER_KEY          the master secret as hex (≥ 64 hex digits)
 *   FLOWSHIELD_CHALLENGE_METRICS_PORT        Prometheus port (default 9464; 0 = off)
 *   FLOWSHIELD_CHALLENGE_METRICS_HOST        default 127.0.0.1
 *   FLOWSHIELD_CHALLENGE_EPOCH_SECONDS       default 60
 *   FLOWSHIELD_CHALLENGE_VALIDITY_SECONDS    default 30
 *   FLOWSHIELD_CHALLENGE_SIGNING_KEY_ID      default 1
 *   LOG_LEVEL                                default info
 * Without a master key a random one is made and a warning logged: fine for a laptop, wrong for
 * production (a restart invalidates every outstanding challenge and token).
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ChallengeRuntimeConfig {
  let masterKey: Uint8Array;
  let ephemeral = false;
  if (env.FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE) {
    let text: string;
    try { text = readFileSync(env.FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE, 'utf8'); } catch (err) {
      throw new ChallengeConfigError(`cannot read FLOWSHIELD_CHALLENGE_MASTER_KEY_FILE`, { cause: err });
    }
    masterKey = parseMasterKey(text);
  } else if (env.FLOWSHIELD_CHALLENGE_MASTER_KEY) {
    masterKey = parseMasterKey(env.FLOWSHIELD_CHALLENGE_MASTER_KEY);
  } else {
    masterKey = new Uint8Array(randomBytes(32));
    ephemeral = true;
  }
  const epochSeconds = intFrom(env, 'FLOWSHIELD_CHALLENGE_EPOCH_SECONDS', 60, 2, 86_400);
  return {
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    natsCreds: env.NATS_CREDS || null,
    natsTlsCa: env.NATS_TLS_CA || null,
    masterKey,
    ephemeralMasterKey: ephemeral,
    metricsPort: intFrom(env, 'FLOWSHIELD_CHALLENGE_METRICS_PORT', 9464, 0, 65_535),
    metricsHost: env.FLOWSHIELD_CHALLENGE_METRICS_HOST || '127.0.0.1',
    epochSeconds,
    validitySeconds: intFrom(env, 'FLOWSHIELD_CHALLENGE_VALIDITY_SECONDS', Math.min(30, epochSeconds), 1, epochSeconds),
    signingKeyId: intFrom(env, 'FLOWSHIELD_CHALLENGE_SIGNING_KEY_ID', 1, 0, 0xffffffff),
    logLevel: env.LOG_LEVEL || 'info',
  };
}
