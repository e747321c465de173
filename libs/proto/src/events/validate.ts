import { DecodeError } from '../errors.js';
import { EventDecodeCode } from './decode-codes.js';
import { EVENT_FIELDS, EVENT_LIMITS, type EventBatch, type StatusEvent } from './event.js';
import { isNameToken } from './names.js';
import { isStatus } from './status.js';

function fieldError(field: string, reason: string): DecodeError {
  return new DecodeError(EventDecodeCode.FIELD, `event field ${field}: ${reason}`);
}

function isUint(value: unknown, max = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/**
 * Checks one decoded event and returns it in canonical form; throws DecodeError naming the field.
 * `batchEdgeId`: the edge id its batch was already checked to carry (one name check per batch).
 */
export function validateEvent(raw: unknown, batchEdgeId?: string): StatusEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DecodeError(EventDecodeCode.SHAPE, 'event is not a record');
  }
  const r = raw as Record<string, unknown>;
  const { tenant, ip, prevStatus, status, expiry, hlcWall, hlcLogical, edgeId, seq, reason, programVersion } = r;
  if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > EVENT_LIMITS.maxTenantLength) {
    throw fieldError('tenant', `must be a string of 1–${EVENT_LIMITS.maxTenantLength} characters`);
  }
  if (!(ip instanceof Uint8Array) || ip.length !== 16) throw fieldError('ip', 'must be 16 bytes');
  if (!isStatus(prevStatus)) throw fieldError('prevStatus', 'must be 0–3');
  if (!isStatus(status)) throw fieldError('status', 'must be 0–3');
  if (!isUint(expiry)) throw fieldError('expiry', 'must be a non-negative integer');
  if (!isUint(hlcWall)) throw fieldError('hlcWall', 'must be a non-negative integer');
  if (!isUint(hlcLogical, EVENT_LIMITS.maxHlcLogical)) throw fieldError('hlcLogical', 'must be 0–65535');
  if (!(edgeId === batchEdgeId && batchEdgeId !== undefined) && !isNameToken(edgeId)) throw fieldError('edgeId', 'must be 1–64 of [A-Za-z0-9_-]');
  if (!isUint(seq) || seq === 0) throw fieldError('seq', 'must be a positive integer');
  if (!isUint(reason, EVENT_LIMITS.maxReason)) throw fieldError('reason', 'must be 0–65535');
  if (!isUint(programVersion)) throw fieldError('programVersion', 'must be a non-negative integer');
  // Decoded from a batch our encoder wrote, it has exactly the fields in structure order already:
  // kept as it is (a copy of every event was a third of the replay's garbage).
  return hasCanonicalShape(r) ? (r as unknown as StatusEvent) : canonicalEvent(r as unknown as StatusEvent);
}

/** Exactly the event fields, in structure order, and nothing else (checked without allocating). */
function hasCanonicalShape(r: Record<string, unknown>): boolean {
  let i = 0;
  for (const key in r) {
    if (key !== EVENT_FIELDS[i]) return false;
    i++;
  }
  return i === EVENT_FIELDS.length && Object.getPrototypeOf(r) === Object.prototype;
}

/** A fresh object with exactly the event fields in structure order, so the encoder always hits the shared structure. */
export function canonicalEvent(e: StatusEvent): StatusEvent {
  return {
    tenant: e.tenant,
    ip: e.ip,
    prevStatus: e.prevStatus,
    status: e.status,
    expiry: e.expiry,
    hlcWall: e.hlcWall,
    hlcLogical: e.hlcLogical,
    edgeId: e.edgeId,
    seq: e.seq,
    reason: e.reason,
    programVersion: e.programVersion,
  };
}

/**
 * How far an event's HLC wall time may be ahead of the time the stream stored its batch. The
 * merge orders by HLC first: an event stamped in the far future (a broken clock, a compromised
 * edge) would beat every later event for its source, for good. Measured against the stream's own
 * timestamp, so every replica reading that stream, and a replay of it, decides alike.
 */
export const MAX_EVENT_CLOCK_AHEAD_MS = 5 * 60_000;

/** The first event of `batch` stamped more than MAX_EVENT_CLOCK_AHEAD_MS after `storedAtMs`, or null. */
export function eventAheadOf(batch: Pick<EventBatch, 'events'>, storedAtMs: number): StatusEvent | null {
  const limit = storedAtMs + MAX_EVENT_CLOCK_AHEAD_MS;
  for (const event of batch.events) if (event.hlcWall > limit) return event;
  return null;
}

/** Checks a decoded batch: every event valid, all from the batch's edge, sequences strictly increasing. */
export function validateBatch(raw: unknown): EventBatch {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DecodeError(EventDecodeCode.SHAPE, 'batch is not a record');
  }
  const { edgeId, events, region = '', datacenter = '' } = raw as Record<string, unknown>;
  if (!isNameToken(edgeId)) throw new DecodeError(EventDecodeCode.BATCH, 'batch edgeId must be 1–64 of [A-Za-z0-9_-]');
  // Absent in version 1 batches; present, a name token like the edge id.
  for (const [field, value] of [['region', region], ['datacenter', datacenter]] as const) {
    if (value !== '' && !isNameToken(value)) throw new DecodeError(EventDecodeCode.BATCH, `batch ${field} must be 1–64 of [A-Za-z0-9_-]`);
  }
  if (!Array.isArray(events) || events.length === 0) throw new DecodeError(EventDecodeCode.BATCH, 'batch has no events');
  if (events.length > EVENT_LIMITS.maxBatchEvents) {
    throw new DecodeError(EventDecodeCode.BATCH, `batch has ${events.length} events, more than ${EVENT_LIMITS.maxBatchEvents}`);
  }
  const out: StatusEvent[] = new Array(events.length);
  let lastSeq = 0;
  for (let i = 0; i < events.length; i++) {
    const event = validateEvent(events[i], edgeId);
    if (event.edgeId !== edgeId) {
      throw new DecodeError(EventDecodeCode.BATCH, `event ${i} is from edge ${event.edgeId}, batch from ${edgeId}`);
    }
    if (event.seq <= lastSeq) throw new DecodeError(EventDecodeCode.BATCH, `event ${i} sequence ${event.seq} does not increase`);
    lastSeq = event.seq;
    out[i] = event;
  }
  return { edgeId, region: region as string, datacenter: datacenter as string, events: out };
}
