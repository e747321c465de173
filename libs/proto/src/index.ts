export { DecodeError } from './errors.js';
// Event path (issue 5): status events, batches, NATS names, snapshot manifest.
export {
  Status, STATUS_NAMES, isStatus, parseStatus, ReasonCode, REASON_NAMES, EVENT_FIELDS, BATCH_FIELDS, EVENT_LIMITS,
  EventDecodeCode, validateEvent, validateBatch, canonicalEvent,
  EVENT_BATCH_VERSION, EVENT_RECORD_VERSION, encodeBatch, decodeBatch, encodeEvent, decodeEvent,
  EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, EVENTS_SUBJECTS, DEADLETTER_SUBJECT, DEADLETTER_STREAM, DEADLETTER_HEADERS,
  SNAPSHOT_BUCKET, STATE_CONSUMER_PREFIX, isNameToken, eventSubject, batchMessageId,
  ipToBytes16, bytes16ToIp, SNAPSHOT_MANIFEST_VERSION, encodeManifest, decodeManifest,
} from './events/index.js';
export type { StatusEvent, EventBatch, SnapshotManifest } from './events/index.js';
