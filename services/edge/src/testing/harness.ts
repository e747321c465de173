import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  CHALLENGE_EPOCH_BUCKET, DEPLOYMENT_HISTORY, PROGRAMS_BUCKET, TENANT_KEY_BUCKET, deploymentKey, encodeDeployment, encodeEpochKeyRecord,
  encodeTenantKeyRecord, epochKvKey, tenantKeyKvKey, type TenantDeployment,
} from '@flowshield/proto';

export const EXAMPLES = fileURLToPath(new URL('../../../../programs/examples/', import.meta.url));
const INCLUDE = fileURLToPath(new URL('../../../../programs/include/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'flowshield-edge-test-'));

/** clang -target bpf, as `flowshield compile` does. */
export function compileExample(name: string, source?: string): Uint8Array {
  const out = join(scratch, `${name}-${Math.random().toString(36).slice(2)}.o`);
  execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-c', '-ffreestanding', '-mcpu=v3', '-I', INCLUDE, source ?? join(EXAMPLES, name), '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(out));
}

/** Writes a deployment record as `flowshield deploy` would. */
export async function deploy(nc: NatsConnection, tenant: string, object: Uint8Array, fields: Partial<TenantDeployment> = {}): Promise<TenantDeployment> {
  const kv = await new Kvm(nc).create(PROGRAMS_BUCKET, { history: DEPLOYMENT_HISTORY });
  const previous = await kv.get(deploymentKey(tenant));
  const version = fields.version ?? (previous?.value.length ? (await import('@flowshield/proto')).decodeDeployment(previous.value).version + 1 : 1);
  const deployment: TenantDeployment = {
    tenant, version, object, sha256: createHash('sha256').update(object).digest('hex'), section: '', failVerdict: 'drop', monitoring: false,
    budget: 100_000, deployedAt: Date.now(), deployedBy: 'test', rolledBackFrom: null, ...fields,
  };
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
