/**
 * NATS names of the event path. One stream holds every edge's batches, one subject per edge, so
 * per-edge order is the stream order and a consumer can filter one edge cheaply.
 */
export const EVENTS_STREAM = 'FS_EVENTS';
export const EVENTS_SUBJECT_PREFIX = 'fs.events';
/** Every event subject; the stream's subject filter. */
export const EVENTS_SUBJECTS = `${EVENTS_SUBJECT_PREFIX}.>`;
/** Malformed messages are copied here (with headers naming the reason) by the state service. */
export const DEADLETTER_SUBJECT = 'fs.deadletter.events';
export const DEADLETTER_STREAM = 'FS_EVENTS_DEADLETTER';
/** Object store bucket holding replica snapshots and their manifests. */
export const SNAPSHOT_BUCKET = 'fs-snapshots';
/** Durable consumer names are this prefix plus the replica id. */
export const STATE_CONSUMER_PREFIX = 'state-';

/** Headers set on dead-lettered messages. */
export const DEADLETTER_HEADERS = {
  reason: 'Fs-Deadletter-Reason',
  code: 'Fs-Deadletter-Code',
  stream: 'Fs-Source-Stream',
  sequence: 'Fs-Source-Sequence',
  subject: 'Fs-Source-Subject',
} as const;

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Edge and replica ids become subject tokens and consumer names: letters, digits, `_`, `-`, at most 64. */
export function isNameToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN.test(value);
}

export function eventSubject(edgeId: string): string {
  if (!isNameToken(edgeId)) throw new RangeError(`edge id must match ${TOKEN}: ${JSON.stringify(edgeId)}`);
  return `${EVENTS_SUBJECT_PREFIX}.${edgeId}`;
}

/**
 * The edge id an event subject names (`fs.events.<edgeId>`), or null when the subject is not
 * exactly that. Edges may publish only on their own subject (NATS permissions), so the subject is
 * the trustworthy name of the sender; a batch's `edgeId` must agree with it.
 */
export function edgeIdOfSubject(subject: string): string | null {
  return nameTokenAfter(`${EVENTS_SUBJECT_PREFIX}.`, subject);
}

/** The name token that makes up the rest of `subject` after `prefix`, or null when it is not exactly one. */
export function nameTokenAfter(prefix: string, subject: string): string | null {
  if (!subject.startsWith(prefix)) return null;
  const token = subject.slice(prefix.length);
  return isNameToken(token) ? token : null;
}

/**
 * The de-duplication id of a batch: stable across retries because a batch never changes once cut.
 * `publisherNonce` is random per publisher: JetStream de-duplicates ids across the whole stream,
 * whatever the subject, and an edge that could predict another's ids (its edge id and a sequence
 * that starts at the clock) could publish them first and have that edge's batches dropped as
 * duplicates. Edges cannot read the stream, so they never learn another's nonce.
 */
export function batchMessageId(edgeId: string, publisherNonce: string, firstSeq: number): string {
  return `${edgeId}:${publisherNonce}:${firstSeq}`;
}
