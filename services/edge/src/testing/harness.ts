import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  CHALLENGE_EPOCH_BUCKET, DEPLOYMENT_HISTORY, OperatorSigner, PROGRAMS_BUCKET, TENANT_KEY_BUCKET, deploymentKey, encodeDeployment,
  encodeEpochKeyRecord, encodeTenantKeyRecord, epochKvKey, signDeployment, tenantKeyKvKey, type TenantDeployment,
} from '@flowshield/proto';

export const EXAMPLES = fileURLToPath(new URL('../../../../programs/examples/', import.meta.url));
const INCLUDE = fileURLToPath(new URL('../../../../programs/include/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'flowshield-edge-test-'));

/** Writes a C source into the scratch folder; returns its path (for compileExample's `source`). */
export function writeSource(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** clang -target bpf, as `flowshield compile` does. */
export function compileExample(name: string, source?: string): Uint8Array {
  const out = join(scratch, `${name}-${Math.random().toString(36).slice(2)}.o`);
  execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-c', '-ffreestanding', '-mcpu=v3', '-I', INCLUDE, source ?? join(EXAMPLES, name), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(out));
}

/** The operator key the tests sign with; edges started by the tests trust it (`operatorKeys`). */
export const TEST_OPERATOR = OperatorSigner.generate().signer;

export interface DeployOptions {
  /** who signs the record (default TEST_OPERATOR); null writes it unsigned */
  signer?: OperatorSigner | null;
  /** fields changed after signing, as someone with write access to the bucket might */
  tamper?: Partial<TenantDeployment>;
}

// deployedAt rises with every record, as `flowshield deploy` makes it (edges refuse one that does not).
let lastDeployedAt = 0;

/** Writes a deployment record as `flowshield deploy` would (signed by TEST_OPERATOR unless told otherwise). */
export async function deploy(nc: NatsConnection, tenant: string, object: Uint8Array, fields: Partial<TenantDeployment> = {}, options: DeployOptions = {}): Promise<TenantDeployment> {
  const kv = await new Kvm(nc).create(PROGRAMS_BUCKET, { history: DEPLOYMENT_HISTORY });
  const previous = await kv.get(deploymentKey(tenant));
  const version = fields.version ?? (previous?.value.length ? (await import('@flowshield/proto')).decodeDeployment(previous.value).version + 1 : 1);
  const unsigned: TenantDeployment = {
    tenant, version, object, sha256: createHash('sha256').update(object).digest('hex'), section: '', failVerdict: 'drop', monitoring: false,
    budget: 100_000, deployedAt: (lastDeployedAt = Math.max(Date.now(), lastDeployedAt + 1)), deployedBy: 'test', rolledBackFrom: null, ...fields, signature: null,
  };
  const signer = options.signer === undefined ? TEST_OPERATOR : options.signer;
  const deployment = { ...(signer ? signDeployment(unsigned, signer) : unsigned), ...options.tamper };
  await kv.put(deploymentKey(tenant), encodeDeployment(deployment));
  return deployment;
}

/** Publishes one epoch key valid for the next hour, as the challenge service would. */
export async function publishEpochKey(nc: NatsConnection, keyId = 1): Promise<void> {
  const kv = await new Kvm(nc).create(CHALLENGE_EPOCH_BUCKET);
  const now = Math.floor(Date.now() / 1000);
  await kv.put(epochKvKey(keyId), encodeEpochKeyRecord({ keyId, key: randomBytes(32), notBefore: now - 5, notAfter: now + 3600, acceptUntil: now + 3660 }));
}

/** Writes a tenant's HMAC key record as the challenge service would (its derivation is tested there). */
export async function publishTenantKey(nc: NatsConnection, tenant: string, key: Uint8Array): Promise<void> {
  const kv = await new Kvm(nc).create(TENANT_KEY_BUCKET);
  await kv.put(tenantKeyKvKey(tenant), encodeTenantKeyRecord({ tenant, keyVersion: 1, key }));
}

export const natsConnect = (url: string) => connect({ servers: url });

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export { EchoOrigin, RawClient } from '@flowshield/test-support';

/** The edge's metrics text (Prometheus format). */
export async function scrape(metricsPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

/** A pino destination that keeps every line (parsed), for asserting what the edge logged. */
export function logLines(): { lines: Record<string, any>[]; stream: { write(line: string): void } } {
  const lines: Record<string, any>[] = [];
  return { lines, stream: { write: (line: string) => { lines.push(JSON.parse(line)); } } };
}
