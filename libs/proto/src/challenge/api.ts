import { DecodeError } from '../errors.js';
import { nameTokenAfter } from '../events/names.js';
import type { EndpointText } from './endpoint.js';
import { ChallengeDecodeCode } from './reasons.js';

/**
 * NATS names and JSON messages of the challenge service. Every message carries `v: 1`.
 * Request/reply subjects are served by services/challenge (a queue group, so several instances
 * share the load); edges publish load reports and read the KV buckets.
 */
export const CHALLENGE_API_VERSION = 1;
export const CHALLENGE_SUBJECT_PREFIX = 'fs.challenge';
export const ChallengeSubject = {
  /** IssueRequest → IssueReply: a challenge for (client, target). */
  issue: 'fs.challenge.issue',
  /** VerifyRequest → VerifyReply: checks an answer; on success also returns a signed token. */
  verify: 'fs.challenge.verify',
  /** TokenRequest → TokenReply: pre-authorises a client (matchmakers). Restrict by NATS permissions. */
  token: 'fs.challenge.token',
  /** {v} → KeysListReply: key ids and epochs, never key bytes. */
  keysList: 'fs.challenge.keys.list',
  /** {v} → KeysRotateReply: ends the current epoch now. */
  keysRotate: 'fs.challenge.keys.rotate',
  /** DifficultyRequest → DifficultyRecord for one protected service. */
  difficulty: 'fs.challenge.difficulty.get',
  /** Edges publish LoadReport under this, each on its own subject (loadSubject), no reply. */
  load: 'fs.challenge.load',
  /**
   * TenantKeyRequest → TenantKeyReply: an edge asks for a tenant's HMAC key; the service writes it
   * into TENANT_KEY_BUCKET (the reply carries no key bytes). Only the edge role may send it.
   */
  tenantKey: 'fs.challenge.tenant-key',
} as const;
export const CHALLENGE_QUEUE_GROUP = 'fs-challenge';

/**
 * Where edge `edgeId` publishes its load reports: its own subject, which only it may publish on,
 * so a report's sender is known (as with `fs.events.<edgeId>`), and a report naming another edge
 * is refused.
 */
export const loadSubject = (edgeId: string): string => `${ChallengeSubject.load}.${edgeId}`;
/** Every edge's load reports (the challenge service's subscription). */
export const LOAD_SUBJECTS = `${ChallengeSubject.load}.*`;
/** The edge a load report subject names, or null. */
export function edgeIdOfLoadSubject(subject: string): string | null {
  return nameTokenAfter(`${ChallengeSubject.load}.`, subject);
}

/** KV bucket of per-epoch HMAC keys (secret: edges only). Keys `epoch.<id>`. */
export const CHALLENGE_EPOCH_BUCKET = 'fs-challenge-epochs';
/** KV bucket of Ed25519 token public keys. Keys `ed25519.<id>`. */
export const CHALLENGE_PUBKEY_BUCKET = 'fs-challenge-pubkeys';
/** KV bucket of difficulty per protected service. Keys: `serviceKey(target)`. */
export const CHALLENGE_DIFFICULTY_BUCKET = 'fs-challenge-difficulty';

/**
 * KV bucket of per-tenant HMAC keys of PFP helpers 8, 9 and 20 (secret: edges only; written only
 * by the challenge service). Keys `tenant.<name>`, values TenantKeyRecord.
 */
export const TENANT_KEY_BUCKET = 'fs-tenant-keys';
export const tenantKeyKvKey = (tenant: string): string => `tenant.${tenant}`;

export const epochKvKey = (keyId: number): string => `epoch.${keyId}`;
export const publicKeyKvKey = (signingKeyId: number): string => `ed25519.${signingKeyId}`;

export interface IssueRequest { v: 1; client: EndpointText; target: EndpointText; triggerSize: number }
export type IssueReply = { v: 1; ok: true; challenge: string } | { v: 1; ok: false; reason: string };

export interface VerifyRequest { v: 1; client: EndpointText; target: EndpointText; answer: string }
export type VerifyReply =
  | { v: 1; ok: true; keyId: number; token: string; expiresAt: number }
  | { v: 1; ok: false; reason: string };

export interface TokenRequest { v: 1; client: EndpointText; target?: EndpointText; ttlSeconds?: number }
export type TokenReply = { v: 1; ok: true; token: string; expiresAt: number } | { v: 1; ok: false; reason: string };

export interface EpochInfo { id: number; notBefore: number; notAfter: number; acceptUntil: number; state: 'next' | 'current' | 'previous' }
export interface KeysListReply { v: 1; ok: true; epochs: EpochInfo[]; signingKeyIds: number[] }
export type KeysRotateReply = { v: 1; ok: true; current: number; previous: number | null } | { v: 1; ok: false; reason: string };

export interface TenantKeyRequest { v: 1; tenant: string }
export type TenantKeyReply = { v: 1; ok: true; tenant: string; keyVersion: number } | { v: 1; ok: false; reason: string };

export interface DifficultyRequest { v: 1; target: EndpointText }
/** Published in CHALLENGE_DIFFICULTY_BUCKET: edges issue at `bits` and accept down to `floorBits`. */
export interface DifficultyRecord { v: 1; target: EndpointText; bits: number; floorBits: number; subPuzzles: number; updatedAt: number }

/** What an edge saw for one protected service during `windowMs`. */
export interface LoadReport {
  v: 1;
  edgeId: string;
  target: EndpointText;
  windowMs: number;
  /** Packets from sources that are not verified. */
  unverifiedPackets: number;
  /** Answers that failed verification. */
  failedAnswers: number;
  /** Packets the service can take per second from unverified sources before defending harder. */
  capacityPps?: number;
}

/** Base64 helpers for binary fields in JSON messages (Buffer-free so the SDK stays portable). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  let s: string;
  try { s = atob(text); } catch (err) { throw new DecodeError(ChallengeDecodeCode.FIELD, 'bad base64', { cause: err }); }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Parses a JSON message and checks its version; field checks are the receiver's. */
export function decodeApiMessage<T extends { v: number }>(bytes: Uint8Array | string): T {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (err) {
    throw new DecodeError(ChallengeDecodeCode.JSON, 'not JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null) throw new DecodeError(ChallengeDecodeCode.JSON, 'not a JSON object');
  if ((value as { v?: unknown }).v !== CHALLENGE_API_VERSION) throw new DecodeError(ChallengeDecodeCode.VERSION, `message version ${(value as { v?: unknown }).v}`);
  return value as T;
}

export function encodeApiMessage(message: { v: number }): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

/** Checks an EndpointText field from an untrusted message. */
export function isEndpointText(e: unknown): e is EndpointText {
  if (typeof e !== 'object' || e === null) return false;
  const { address, port } = e as { address?: unknown; port?: unknown };
  return typeof address === 'string' && address.length <= 64 && Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 0xffff;
}
