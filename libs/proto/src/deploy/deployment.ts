import { pack, unpack } from 'msgpackr';
import { DecodeError } from '../errors.js';
import { CanonicalWriter } from '../signing/canonical.js';
import { ED25519_PUBLIC_KEY_SIZE, type OperatorKeySet, type OperatorSignature, type OperatorSigner } from '../signing/operator-key.js';

/*
 * What `flowshield deploy` writes and every edge watches: one record per tenant in the NATS
 * key-value bucket PROGRAMS_BUCKET, under key `tenant.<name>`. The bucket keeps history, so
 * `rollback` and `programs` read earlier revisions. A version byte leads every value.
 */

export const PROGRAMS_BUCKET = 'fs-programs';
export const DEPLOYMENT_VERSION = 1;
/** revisions kept per tenant (NATS KV's maximum history) */
export const DEPLOYMENT_HISTORY = 64;

export const DeployDecodeCode = {
  EMPTY: 'FS_ERR_PROTO_DEPLOY_EMPTY',
  VERSION: 'FS_ERR_PROTO_DEPLOY_VERSION',
  MSGPACK: 'FS_ERR_PROTO_DEPLOY_MSGPACK',
  FIELD: 'FS_ERR_PROTO_DEPLOY_FIELD',
} as const;

/**
 * The largest per-run instruction budget a record may carry. Records in NATS are input, not
 * trusted: `deploy` refuses more and every edge refuses a record over it (or over its own lower
 * `programLimits.maxBudget`). A million instructions run in about a millisecond or two.
 */
export const MAX_PROGRAM_BUDGET = 1_000_000;

export type FailVerdict = 'pass' | 'drop';

export interface TenantDeployment {
  tenant: string;
  /** increases by one per deploy of this tenant; a rollback republishes an earlier version */
  version: number;
  /** the eBPF object file (clang -target bpf -O2 -g -c) */
  object: Uint8Array;
  /** hex SHA-256 of `object`, for operators and logs */
  sha256: string;
  /** program section to load; empty = the loader's default */
  section: string;
  /** verdict when the program faults or returns an undefined value */
  failVerdict: FailVerdict;
  /** run and count, but pass every packet */
  monitoring: boolean;
  /** per-run instruction budget */
  budget: number;
  /** UNIX milliseconds */
  deployedAt: number;
  /** who or what deployed it (user@host, CI job) */
  deployedBy: string;
  /** set when this record was republished by `rollback`: the version it replaced */
  rolledBackFrom: number | null;
  /**
   * The operator's Ed25519 signature over `deploymentSigningBytes` (every field above but the
   * object itself, which `sha256` stands for); null in records written before signing existed.
   */
  signature: OperatorSignature | null;
}

const TENANT = /^[A-Za-z0-9_-]{1,64}$/;

export const isTenantName = (name: string): boolean => TENANT.test(name);
export const deploymentKey = (tenant: string): string => `tenant.${tenant}`;
export const tenantOfKey = (key: string): string | null => (key.startsWith('tenant.') && isTenantName(key.slice(7)) ? key.slice(7) : null);

export function encodeDeployment(d: TenantDeployment): Uint8Array {
  const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const signature = d.signature === null ? null : { publicKey: buf(d.signature.publicKey), value: buf(d.signature.value) };
  const body = pack({ ...d, object: buf(d.object), signature });
  const out = new Uint8Array(body.length + 1);
  out[0] = DEPLOYMENT_VERSION;
  out.set(body, 1);
  return out;
}

/** Decodes and validates a deployment record; throws DecodeError with a code and a reason. */
export function decodeDeployment(bytes: Uint8Array): TenantDeployment {
  if (bytes.length === 0) throw new DecodeError(DeployDecodeCode.EMPTY, 'deployment record is empty');
  if (bytes[0] !== DEPLOYMENT_VERSION) throw new DecodeError(DeployDecodeCode.VERSION, `deployment record version ${bytes[0]} is not ${DEPLOYMENT_VERSION}`);
  let value: unknown;
  try {
    value = unpack(bytes.subarray(1));
  } catch (cause) {
    throw new DecodeError(DeployDecodeCode.MSGPACK, `deployment record is not valid msgpack: ${(cause as Error).message}`, { cause });
  }
  const d = value as Record<string, unknown>;
  const bad = (field: string) => new DecodeError(DeployDecodeCode.FIELD, `deployment record field ${field} is missing or invalid`);
  if (typeof d !== 'object' || d === null) throw bad('(root)');
  if (typeof d.tenant !== 'string' || !isTenantName(d.tenant)) throw bad('tenant');
  if (!Number.isSafeInteger(d.version) || (d.version as number) < 1) throw bad('version');
  if (!(d.object instanceof Uint8Array) || d.object.length === 0) throw bad('object');
  if (typeof d.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(d.sha256)) throw bad('sha256');
  if (typeof d.section !== 'string') throw bad('section');
  if (d.failVerdict !== 'pass' && d.failVerdict !== 'drop') throw bad('failVerdict');
  if (typeof d.monitoring !== 'boolean') throw bad('monitoring');
  if (!Number.isSafeInteger(d.budget) || (d.budget as number) < 1) throw bad('budget');
  if (!Number.isSafeInteger(d.deployedAt)) throw bad('deployedAt');
  if (typeof d.deployedBy !== 'string') throw bad('deployedBy');
  if (d.rolledBackFrom !== null && !Number.isSafeInteger(d.rolledBackFrom)) throw bad('rolledBackFrom');
  return {
    tenant: d.tenant,
    version: d.version as number,
    object: new Uint8Array(d.object),
    sha256: d.sha256,
    section: d.section,
    failVerdict: d.failVerdict,
    monitoring: d.monitoring,
    budget: d.budget as number,
    deployedAt: d.deployedAt as number,
    deployedBy: d.deployedBy,
    rolledBackFrom: d.rolledBackFrom as number | null,
    signature: decodeSignature(d.signature, bad),
  };
}

function decodeSignature(value: unknown, bad: (field: string) => DecodeError): OperatorSignature | null {
  if (value === undefined || value === null) return null; // written before signing existed: the edge counts it as unsigned
  const s = value as Record<string, unknown>;
  if (typeof s !== 'object' || !(s.publicKey instanceof Uint8Array) || s.publicKey.length !== ED25519_PUBLIC_KEY_SIZE || !(s.value instanceof Uint8Array)) throw bad('signature');
  return { publicKey: new Uint8Array(s.publicKey), value: new Uint8Array(s.value) };
}

const FAIL_VERDICT_CODE = { pass: 0, drop: 1 } as const;

/**
 * The bytes an operator signs for a deployment (layout in signing/canonical.ts), kind
 * `deployment`: tenant · version u64 · sha256 (32 bytes) · section · failVerdict u8 (0 pass,
 * 1 drop) · monitoring u8 · budget u64 · deployedAt i64 · deployedBy · rolledBackFrom (flag + u64).
 * Everything an edge acts on; the object is covered through sha256, which the edge checks.
 */
export function deploymentSigningBytes(d: Omit<TenantDeployment, 'signature' | 'object'>): Uint8Array {
  return new CanonicalWriter('deployment')
    .string(d.tenant)
    .u64(d.version)
    .fixed(Buffer.from(d.sha256, 'hex'), 32)
    .string(d.section)
    .u8(FAIL_VERDICT_CODE[d.failVerdict])
    .u8(d.monitoring ? 1 : 0)
    .u64(d.budget)
    .i64(d.deployedAt)
    .string(d.deployedBy)
    .optionalU64(d.rolledBackFrom)
    .finish();
}

/** The record with a fresh signature by `signer` (any old signature is replaced). */
export function signDeployment(d: Omit<TenantDeployment, 'signature'> & { signature?: OperatorSignature | null }, signer: OperatorSigner): TenantDeployment {
  const { signature: _old, ...fields } = d;
  return { ...fields, signature: signer.sign(deploymentSigningBytes(fields)) };
}

/** Whether a decoded record is signed by one of `keys` over exactly its fields. */
export function checkDeploymentSignature(d: TenantDeployment, keys: OperatorKeySet): 'ok' | 'unsigned' | 'bad_signature' {
  if (d.signature === null) return 'unsigned';
  let message: Uint8Array;
  try {
    message = deploymentSigningBytes(d);
  } catch {
    return 'bad_signature'; // a field the canonical layout cannot hold was never signed
  }
  return keys.check(message, d.signature);
}
