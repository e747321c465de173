import { hostname, userInfo } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV, KvEntry } from '@nats-io/kv';
import {
  DEPLOYMENT_HISTORY, PROGRAMS_BUCKET, decodeDeployment, deploymentKey, encodeDeployment, isTenantName, namedProgramOfKey, tenantOfKey,
  type TenantDeployment,
} from '@flowshield/proto';
import { CliError } from '../errors.js';
import { io } from '../io.js';

/*
 * A versioned-records bucket as `deploy`, `rollback`, `programs` and the `rules` verbs see it: one
 * key per tenant (or per tenant and name) whose revisions are the history. Every edge watches
 * these buckets, so a record that cannot be decoded (someone wrote garbage) is reported and
 * skipped here, never trusted. What differs between programs, named programs and rules versions
 * is the key and the record codec (a RecordStore); history, versions and the conditional write
 * are the same code.
 */

/** The fields every versioned record carries (TenantDeployment, RulesDeployment). */
export interface VersionedRecord {
  readonly tenant: string;
  readonly version: number;
  readonly deployedAt: number;
  readonly rolledBackFrom: number | null;
}

/** One key of a versioned bucket and its record codec. */
export interface RecordStore<R extends VersionedRecord> {
  readonly key: string;
  readonly tenant: string;
  encode(record: R): Uint8Array;
  decode(bytes: Uint8Array): R;
}

/** The tenant's program: `tenant.<name>` in fs-programs. */
export const programStore = (tenant: string, key = deploymentKey(tenant)): RecordStore<TenantDeployment> => ({ key, tenant, encode: encodeDeployment, decode: decodeDeployment });

/** A decodable record and where it sits in the key's history. */
export interface DeploymentRevision<R extends VersionedRecord = TenantDeployment> {
  revision: number;
  deployment: R;
}

/** A record that is not a valid deployment: reported to the operator, then ignored. */
export interface SkippedRecord {
  key: string;
  revision: number | null;
  reason: string;
}

export interface TenantHistory<R extends VersionedRecord = TenantDeployment> {
  tenant: string;
  /** valid records, oldest first */
  revisions: DeploymentRevision<R>[];
  skipped: SkippedRecord[];
  /** the key's newest revision (0 when the key was never written): the base for an optimistic update */
  lastRevision: number;
  /** the newest revision if it is a valid record; null when the key is empty, deleted, or its newest record is malformed */
  live: DeploymentRevision<R> | null;
  /** why the newest revision is not live, when there is one */
  liveProblem: string | null;
}

/** Opens the programs bucket, creating it (history DEPLOYMENT_HISTORY) when it does not exist yet. */
export async function openProgramsBucket(nc: NatsConnection, server: string): Promise<KV> {
  try {
    // Loaded on first use, not at start (see nats-connection.ts).
    const { Kvm } = await import('@nats-io/kv');
    return await new Kvm(nc).create(PROGRAMS_BUCKET, { history: DEPLOYMENT_HISTORY });
  } catch (err) {
    throw new CliError('FS_ERR_CLI_NO_JETSTREAM', `cannot open the ${PROGRAMS_BUCKET} bucket on NATS at ${server}: ${(err as Error).message}`, { cause: err });
  }
}

export function checkTenant(tenant: string | undefined): string {
  if (tenant === undefined) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--tenant is required');
  if (!isTenantName(tenant)) throw new CliError('FS_ERR_CLI_BAD_TENANT', `not a tenant name: ${JSON.stringify(tenant)} (1-64 of A-Z a-z 0-9 _ -)`);
  return tenant;
}

/** Decodes one stored entry; a malformed one becomes the reason it is skipped. */
export function decodeEntry<R extends VersionedRecord = TenantDeployment>(entry: KvEntry, tenant: string, store: RecordStore<R> = programStore(tenant) as unknown as RecordStore<R>): R | string {
  try {
    const d = store.decode(entry.value);
    if (d.tenant !== tenant) return `record names tenant ${JSON.stringify(d.tenant)} under key ${entry.key}`;
    return d;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Every revision of one key (default: the tenant's program), decoded; malformed ones land in `skipped`. */
export async function readTenantHistory<R extends VersionedRecord = TenantDeployment>(kv: KV, tenant: string, store: RecordStore<R> = programStore(tenant) as unknown as RecordStore<R>): Promise<TenantHistory<R>> {
  const key = store.key;
  const history: TenantHistory<R> = { tenant, revisions: [], skipped: [], lastRevision: 0, live: null, liveProblem: null };
  for await (const entry of await kv.history({ key })) {
    history.lastRevision = Math.max(history.lastRevision, entry.revision);
    if (entry.operation !== 'PUT') {
      history.live = null;
      history.liveProblem = `deleted at revision ${entry.revision}`;
      continue;
    }
    const decoded = decodeEntry(entry, tenant, store);
    if (typeof decoded === 'string') {
      history.skipped.push({ key, revision: entry.revision, reason: decoded });
      history.live = null;
      history.liveProblem = `revision ${entry.revision} is malformed: ${decoded}`;
      continue;
    }
    const revision = { revision: entry.revision, deployment: decoded };
    history.revisions.push(revision);
    history.live = revision;
    history.liveProblem = null;
  }
  return history;
}

/**
 * The highest version this key has carried, counting the versions rollbacks replaced: a new
 * deploy takes the next one, so a version number never names two different programs (as long as
 * the highest one is still within the kept history).
 */
export function highestVersion(history: TenantHistory<VersionedRecord>): number {
  return history.revisions.reduce((max, r) => Math.max(max, r.deployment.version, r.deployment.rolledBackFrom ?? 0), 0);
}

/**
 * deployedAt for the next record: now, but always above every record in the kept history, so an
 * edge can refuse an old signed record written back (it refuses any deployedAt not after the
 * running one's) even when operators' clocks disagree.
 */
export function nextDeployedAt(history: TenantHistory<VersionedRecord>, now = Date.now()): number {
  return history.revisions.reduce((at, r) => Math.max(at, r.deployment.deployedAt + 1), now);
}

async function isWrongLastSequence(err: unknown): Promise<boolean> {
  const { JetStreamApiCodes, JetStreamApiError } = await import('@nats-io/jetstream');
  return err instanceof JetStreamApiError
    && (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

const MAX_ATTEMPTS = 25;

/**
 * Writes the record `next(history)` builds, on top of exactly the history it was built from:
 * the write is conditional on the key's last revision, and when another writer got there first
 * the history is read again and `next` runs again. So two concurrent deploys never share a version.
 */
export async function publishDeployment<R extends VersionedRecord = TenantDeployment>(
  kv: KV,
  tenant: string,
  next: (history: TenantHistory<R>) => R,
  maxPayload = Infinity,
  store: RecordStore<R> = programStore(tenant) as unknown as RecordStore<R>,
): Promise<{ revision: number; deployment: R; history: TenantHistory<R> }> {
  const key = store.key;
  for (let attempt = 1; ; attempt++) {
    const history = await readTenantHistory(kv, tenant, store);
    const deployment = next(history);
    const value = store.encode(deployment);
    if (value.length > maxPayload) {
      throw new CliError('FS_ERR_CLI_TOO_LARGE', `the ${key} record would be ${value.length} bytes, over the server's maximum message size of ${maxPayload}`);
    }
    try {
      const revision = history.lastRevision === 0 ? await kv.create(key, value) : await kv.update(key, value, history.lastRevision);
      return { revision, deployment, history };
    } catch (err) {
      if (!(await isWrongLastSequence(err))) throw new CliError('FS_ERR_CLI_WRITE_FAILED', `cannot write ${key}: ${(err as Error).message}`, { cause: err });
      if (attempt === MAX_ATTEMPTS) {
        throw new CliError('FS_ERR_CLI_DEPLOY_CONFLICT', `${key} kept changing under ${MAX_ATTEMPTS} attempts to write it; try again`, { cause: err });
      }
      // Someone else wrote first: back off a little, at random, so the writers do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 20 * attempt)));
    }
  }
}

/** Every tenant's live record; keys and records that are not valid deployments land in `skipped`. */
export async function readLiveDeployments<R extends VersionedRecord = TenantDeployment>(
  kv: KV,
  storeOf: (tenant: string) => RecordStore<R> = programStore as unknown as (tenant: string) => RecordStore<R>,
): Promise<{ live: DeploymentRevision<R>[]; skipped: SkippedRecord[] }> {
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  const live: DeploymentRevision<R>[] = [];
  const skipped: SkippedRecord[] = [];
  for (const key of keys.sort()) {
    if (namedProgramOfKey(key) !== null) continue; // a tenant's socket filters (deploy --name), not its program
    const tenant = tenantOfKey(key);
    if (tenant === null) {
      skipped.push({ key, revision: null, reason: 'not a tenant key (tenant.<name>)' });
      continue;
    }
    const entry = await kv.get(key);
    if (entry === null || entry.operation !== 'PUT') continue;
    const decoded = decodeEntry(entry, tenant, storeOf(tenant));
    if (typeof decoded === 'string') skipped.push({ key, revision: entry.revision, reason: decoded });
    else live.push({ revision: entry.revision, deployment: decoded });
  }
  return { live, skipped };
}

/** Warns on stderr about each skipped record, one line each, so stdout stays readable by scripts. */
export function reportSkipped(skipped: SkippedRecord[]): void {
  for (const s of skipped) {
    io().stderr.write(`flowshield: warning: skipped ${s.key}${s.revision === null ? '' : ` revision ${s.revision}`}: ${s.reason}\n`);
  }
}

/** Who is deploying: FLOWSHIELD_DEPLOYED_BY (a CI job, say), else user@host. */
export function defaultDeployer(): string {
  const fromEnv = io().env.FLOWSHIELD_DEPLOYED_BY;
  if (fromEnv) return fromEnv;
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = io().env.USER ?? user;
  }
  return `${user}@${hostname()}`;
}
