import { pack, unpack } from 'msgpackr';
import { DecodeError } from '../errors.js';
import { isTenantName } from '../deploy/deployment.js';
import { CanonicalWriter } from '../signing/canonical.js';
import { ED25519_PUBLIC_KEY_SIZE, type OperatorKeySet, type OperatorSignature, type OperatorSigner } from '../signing/operator-key.js';
import { LIST_OBJECT_NAME } from './names.js';

/*
 * One version of a tenant's rules, as `rules deploy` writes it to RULES_BUCKET under
 * `tenant.<name>`: a version byte, then msgpack. The rules file travels as its JSON text (edges
 * compile it themselves with libs/rules); each list it references is pinned by the SHA-256 of
 * its object, so an edge never runs rules against a list other than the one deploy checked.
 */

export const RULES_RECORD_VERSION = 1;

export const RulesDecodeCode = {
  EMPTY: 'FS_ERR_PROTO_RULES_EMPTY',
  VERSION: 'FS_ERR_PROTO_RULES_VERSION',
  MSGPACK: 'FS_ERR_PROTO_RULES_MSGPACK',
  FIELD: 'FS_ERR_PROTO_RULES_FIELD',
} as const;

export interface ListPin {
  readonly name: string;
  /** hex SHA-256 of the list object's bytes */
  readonly sha256: string;
  readonly prefixes: number;
}

export interface RulesDeployment {
  readonly tenant: string;
  readonly version: number;
  /** the rules file, as JSON text */
  readonly rules: string;
  /** hex SHA-256 of `rules` (UTF-8) */
  readonly sha256: string;
  readonly lists: readonly ListPin[];
  readonly deployedAt: number;
  readonly deployedBy: string;
  readonly rolledBackFrom: number | null;
  readonly signature: OperatorSignature | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function encodeRulesDeployment(d: RulesDeployment): Uint8Array {
  const buf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const signature = d.signature === null ? null : { publicKey: buf(d.signature.publicKey), value: buf(d.signature.value) };
  const body = pack({ ...d, lists: d.lists.map((l) => ({ ...l })), signature });
  const out = new Uint8Array(body.length + 1);
  out[0] = RULES_RECORD_VERSION;
  out.set(body, 1);
  return out;
}

export function decodeRulesDeployment(bytes: Uint8Array): RulesDeployment {
  if (bytes.length === 0) throw new DecodeError(RulesDecodeCode.EMPTY, 'rules record is empty');
  if (bytes[0] !== RULES_RECORD_VERSION) throw new DecodeError(RulesDecodeCode.VERSION, `rules record version ${bytes[0]} is not ${RULES_RECORD_VERSION}`);
  let value: unknown;
  try {
    value = unpack(bytes.subarray(1));
  } catch (cause) {
    throw new DecodeError(RulesDecodeCode.MSGPACK, `rules record is not valid msgpack: ${(cause as Error).message}`, { cause });
  }
  const d = value as Record<string, unknown>;
  const bad = (field: string) => new DecodeError(RulesDecodeCode.FIELD, `rules record field ${field} is missing or invalid`);
  if (typeof d !== 'object' || d === null) throw bad('(root)');
  if (typeof d.tenant !== 'string' || !isTenantName(d.tenant)) throw bad('tenant');
  if (!Number.isSafeInteger(d.version) || (d.version as number) < 1) throw bad('version');
  if (typeof d.rules !== 'string') throw bad('rules');
  if (typeof d.sha256 !== 'string' || !HEX64.test(d.sha256)) throw bad('sha256');
  if (!Array.isArray(d.lists)) throw bad('lists');
  const lists = d.lists.map((l: Record<string, unknown>, i) => {
    if (typeof l !== 'object' || l === null || typeof l.name !== 'string' || !LIST_OBJECT_NAME.test(l.name)) throw bad(`lists[${i}].name`);
    if (typeof l.sha256 !== 'string' || !HEX64.test(l.sha256)) throw bad(`lists[${i}].sha256`);
    if (!Number.isSafeInteger(l.prefixes) || (l.prefixes as number) < 0) throw bad(`lists[${i}].prefixes`);
    return { name: l.name, sha256: l.sha256, prefixes: l.prefixes as number };
  });
  if (!Number.isSafeInteger(d.deployedAt)) throw bad('deployedAt');
  if (typeof d.deployedBy !== 'string') throw bad('deployedBy');
  if (d.rolledBackFrom !== null && !Number.isSafeInteger(d.rolledBackFrom)) throw bad('rolledBackFrom');
  let signature: OperatorSignature | null = null;
  if (d.signature !== undefined && d.signature !== null) {
    const s = d.signature as Record<string, unknown>;
    if (typeof s !== 'object' || !(s.publicKey instanceof Uint8Array) || s.publicKey.length !== ED25519_PUBLIC_KEY_SIZE || !(s.value instanceof Uint8Array)) throw bad('signature');
    signature = { publicKey: new Uint8Array(s.publicKey), value: new Uint8Array(s.value) };
  }
  return {
    tenant: d.tenant, version: d.version as number, rules: d.rules, sha256: d.sha256, lists,
    deployedAt: d.deployedAt as number, deployedBy: d.deployedBy, rolledBackFrom: d.rolledBackFrom as number | null, signature,
  };
}

/**
 * The bytes an operator signs, kind `rules`: tenant · version u64 · sha256 of the rules (32) ·
 * list count u64 · per list: name · sha256 (32) · prefixes u64 · deployedAt i64 · deployedBy ·
 * rolledBackFrom (flag + u64).
 */
export function rulesSigningBytes(d: Omit<RulesDeployment, 'signature' | 'rules'>): Uint8Array {
  const w = new CanonicalWriter('rules').string(d.tenant).u64(d.version).fixed(Buffer.from(d.sha256, 'hex'), 32).u64(d.lists.length);
  for (const l of d.lists) w.string(l.name).fixed(Buffer.from(l.sha256, 'hex'), 32).u64(l.prefixes);
  return w.i64(d.deployedAt).string(d.deployedBy).optionalU64(d.rolledBackFrom).finish();
}

export function signRulesDeployment(d: Omit<RulesDeployment, 'signature'>, signer: OperatorSigner): RulesDeployment {
  return { ...d, signature: signer.sign(rulesSigningBytes(d)) };
}

export function checkRulesSignature(d: RulesDeployment, keys: OperatorKeySet): 'ok' | 'unsigned' | 'bad_signature' {
  if (d.signature === null) return 'unsigned';
  let message: Uint8Array;
  try {
    message = rulesSigningBytes(d);
  } catch {
    return 'bad_signature';
  }
  return keys.check(message, d.signature);
}
