import { Packr, Unpackr } from 'msgpackr';
import { DecodeError } from '../errors.js';
import { EventDecodeCode } from './decode-codes.js';
import { BATCH_FIELDS, BATCH_FIELDS_V1, EVENT_FIELDS, type EventBatch, type StatusEvent } from './event.js';
import { canonicalEvent, validateBatch, validateEvent } from './validate.js';

/**
 * First byte of every batch message. Bump it (and keep decoding the old one) when a field changes.
 * 2 added the edge's region and datacenter; version 1 batches still decode (with both '').
 */
export const EVENT_BATCH_VERSION = 2;
const BATCH_VERSIONS = [1, EVENT_BATCH_VERSION] as const;
/** First byte of every single stored event record (the replica's value and the history). */
export const EVENT_RECORD_VERSION = 1;

/**
 * Both sides use the same fixed record structures, so no message carries field names. They are
 * never extended at run time (`shouldShareStructure` false): an unknown shape is encoded inline.
 */
function structures(): string[][] {
  // Appended, never reordered: a structure's index is its record id on the wire.
  return [[...EVENT_FIELDS], [...BATCH_FIELDS_V1], [...BATCH_FIELDS]];
}

const packOptions = { useRecords: true, maxSharedStructures: 3, shouldShareStructure: () => false } as const;
const packr = new Packr({ ...packOptions, structures: structures() });
// copyBuffers: decoded IPs must not alias a buffer the caller (NATS, LMDB) may reuse.
const unpackr = new Unpackr({ useRecords: true, copyBuffers: true, maxSharedStructures: 3, structures: sharedStructures() });

/**
 * The decoder's structures, each marked shared: a message may define a record inline under a
 * shared structure's id, and msgpackr puts back only a structure marked shared once that message
 * is read. Unmarked (as msgpackr leaves structures given in its options), one hostile message
 * redefined them for every message after it: every batch after it failed to decode.
 */
function sharedStructures(): string[][] {
  const list = structures();
  for (const structure of list) (structure as string[] & { isShared?: boolean }).isShared = true;
  return list;
}

function withVersion(version: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = version;
  out.set(body, 1);
  return out;
}

function unpackBody(bytes: Uint8Array, versions: readonly number[], what: string): unknown {
  if (bytes.length === 0) throw new DecodeError(EventDecodeCode.EMPTY, `${what} is empty`);
  if (!versions.includes(bytes[0]!)) {
    throw new DecodeError(EventDecodeCode.VERSION, `${what} version ${bytes[0]} is not ${versions.join(' or ')}`);
  }
  try {
    return unpackr.unpack(bytes.subarray(1));
  } catch (cause) {
    throw new DecodeError(EventDecodeCode.MSGPACK, `${what} is not valid msgpack: ${(cause as Error).message}`, { cause });
  }
}

/** Encodes a batch for one NATS message; the caller guarantees validity (the publisher built it). */
export function encodeBatch(batch: Omit<EventBatch, 'region' | 'datacenter'> & Partial<Pick<EventBatch, 'region' | 'datacenter'>>): Uint8Array {
  const events = batch.events.map(canonicalEvent);
  return withVersion(EVENT_BATCH_VERSION, packr.pack({ edgeId: batch.edgeId, region: batch.region ?? '', datacenter: batch.datacenter ?? '', events }));
}

/** Decodes and validates a batch message; throws DecodeError with a code and a reason. */
export function decodeBatch(bytes: Uint8Array): EventBatch {
  return validateBatch(unpackBody(bytes, BATCH_VERSIONS, 'event batch'));
}

export function encodeEvent(event: StatusEvent): Uint8Array {
  return withVersion(EVENT_RECORD_VERSION, packr.pack(canonicalEvent(event)));
}

export function decodeEvent(bytes: Uint8Array): StatusEvent {
  return validateEvent(unpackBody(bytes, [EVENT_RECORD_VERSION], 'event record'));
}
