import { DecodeError } from '../errors.js';
import { isTenantName } from '../deploy/deployment.js';
import { CHALLENGE_VERSION } from './layout.js';
import { ChallengeDecodeCode } from './reasons.js';

/**
 * Records the challenge service writes to NATS KV for edges.
 *
 * Epoch key (bucket CHALLENGE_EPOCH_BUCKET, key `epoch.<id>`), 53 bytes — a SECRET, readable by
 * edges only (NATS permissions):
 *   magic "FSEK" · version · keyId u32 · notBefore u32 · notAfter u32 · acceptUntil u32 · key[32]
 * An edge issues with the key whose [notBefore, notAfter) holds now and accepts answers under any key
 * until acceptUntil (notAfter + one epoch: the previous epoch stays valid).
 *
 * Token public key (bucket CHALLENGE_PUBKEY_BUCKET, key `ed25519.<id>`), 45 bytes, public:
 *   magic "FSPK" · version · signingKeyId u32 · notAfter u32 (0 = open) · publicKey[32]
 *
 * Tenant HMAC key (bucket TENANT_KEY_BUCKET, key `tenant.<name>`), 43 + name bytes — a SECRET,
 * readable by edges only: the key of PFP helpers 8, 9 and 20 for that tenant on every edge:
 *   magic "FSHK" · version · keyVersion u32 · nameLength u8 · name (ASCII) · key[32]
 */
export const EPOCH_KEY_MAGIC = 0x4653454b; // "FSEK"
export const PUBLIC_KEY_MAGIC = 0x4653504b; // "FSPK"
export const TENANT_KEY_MAGIC = 0x4653484b; // "FSHK" (HMAC key; "FSTK" is the verified token packet)
export const EPOCH_KEY_RECORD_SIZE = 53;
export const PUBLIC_KEY_RECORD_SIZE = 45;

export interface EpochKeyRecord {
  keyId: number;
  notBefore: number;
  notAfter: number;
  acceptUntil: number;
  key: Uint8Array;
}

export interface PublicKeyRecord {
  signingKeyId: number;
  notAfter: number;
  publicKey: Uint8Array;
}

function check(buf: Uint8Array, size: number, magic: number, what: string): DataView {
  if (buf.length !== size) throw new DecodeError(ChallengeDecodeCode.SHORT, `${what} record is ${size} bytes, got ${buf.length}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0) !== magic) throw new DecodeError(ChallengeDecodeCode.MAGIC, `not a ${what} record`);
  if (buf[4] !== CHALLENGE_VERSION) throw new DecodeError(ChallengeDecodeCode.VERSION, `${what} record version ${buf[4]}`);
  return v;
}

export function encodeEpochKeyRecord(r: EpochKeyRecord): Uint8Array {
  if (r.key.length !== 32) throw new RangeError('epoch key must be 32 bytes');
  const out = new Uint8Array(EPOCH_KEY_RECORD_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, EPOCH_KEY_MAGIC);
  out[4] = CHALLENGE_VERSION;
  v.setUint32(5, r.keyId >>> 0);
  v.setUint32(9, r.notBefore >>> 0);
  v.setUint32(13, r.notAfter >>> 0);
  v.setUint32(17, r.acceptUntil >>> 0);
  out.set(r.key, 21);
  return out;
}

/** Decodes an epoch key record; the key is copied so the caller may drop the message buffer. */
export function decodeEpochKeyRecord(buf: Uint8Array): EpochKeyRecord {
  const v = check(buf, EPOCH_KEY_RECORD_SIZE, EPOCH_KEY_MAGIC, 'epoch key');
  const r = { keyId: v.getUint32(5), notBefore: v.getUint32(9), notAfter: v.getUint32(13), acceptUntil: v.getUint32(17), key: buf.slice(21, 53) };
  if (!(r.notBefore <= r.notAfter && r.notAfter <= r.acceptUntil)) throw new DecodeError(ChallengeDecodeCode.FIELD, 'epoch key times out of order');
  return r;
}

export function encodePublicKeyRecord(r: PublicKeyRecord): Uint8Array {
  if (r.publicKey.length !== 32) throw new RangeError('Ed25519 public key must be 32 bytes');
  const out = new Uint8Array(PUBLIC_KEY_RECORD_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, PUBLIC_KEY_MAGIC);
  out[4] = CHALLENGE_VERSION;
  v.setUint32(5, r.signingKeyId >>> 0);
  v.setUint32(9, r.notAfter >>> 0);
  out.set(r.publicKey, 13);
  return out;
}

export function decodePublicKeyRecord(buf: Uint8Array): PublicKeyRecord {
  const v = check(buf, PUBLIC_KEY_RECORD_SIZE, PUBLIC_KEY_MAGIC, 'public key');
  return { signingKeyId: v.getUint32(5), notAfter: v.getUint32(9), publicKey: buf.slice(13, 45) };
}

export interface TenantKeyRecord {
  tenant: string;
  /** which derivation of the tenant's key (a rotation would bump it) */
  keyVersion: number;
  key: Uint8Array;
}

export function encodeTenantKeyRecord(r: TenantKeyRecord): Uint8Array {
  if (r.key.length !== 32) throw new RangeError('tenant key must be 32 bytes');
  if (!isTenantName(r.tenant)) throw new RangeError(`bad tenant name ${JSON.stringify(r.tenant)}`);
  const name = new TextEncoder().encode(r.tenant);
  const out = new Uint8Array(10 + name.length + 32);
  const v = new DataView(out.buffer);
  v.setUint32(0, TENANT_KEY_MAGIC);
  out[4] = CHALLENGE_VERSION;
  v.setUint32(5, r.keyVersion >>> 0);
  out[9] = name.length;
  out.set(name, 10);
  out.set(r.key, 10 + name.length);
  return out;
}

/** Decodes a tenant key record; the key is copied so the caller may drop the message buffer. */
export function decodeTenantKeyRecord(buf: Uint8Array): TenantKeyRecord {
  if (buf.length < 11 + 32) throw new DecodeError(ChallengeDecodeCode.SHORT, `tenant key record is at least 43 bytes, got ${buf.length}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0) !== TENANT_KEY_MAGIC) throw new DecodeError(ChallengeDecodeCode.MAGIC, 'not a tenant key record');
  if (buf[4] !== CHALLENGE_VERSION) throw new DecodeError(ChallengeDecodeCode.VERSION, `tenant key record version ${buf[4]}`);
  const length = buf[9]!;
  if (buf.length !== 10 + length + 32) throw new DecodeError(ChallengeDecodeCode.SHORT, `tenant key record of a ${length}-byte name is ${10 + length + 32} bytes, got ${buf.length}`);
  const tenant = new TextDecoder().decode(buf.subarray(10, 10 + length));
  if (!isTenantName(tenant)) throw new DecodeError(ChallengeDecodeCode.FIELD, 'tenant key record names no valid tenant');
  return { tenant, keyVersion: v.getUint32(5), key: buf.slice(10 + length) };
}
