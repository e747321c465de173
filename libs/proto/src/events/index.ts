export { Status, STATUS_NAMES, isStatus, parseStatus, ReasonCode, REASON_NAMES } from './status.js';
export type { StatusEvent, EventBatch } from './event.js';
export { EVENT_FIELDS, BATCH_FIELDS, BATCH_FIELDS_V1, EVENT_LIMITS } from './event.js';
export { EventDecodeCode, EventRejectCode } from './decode-codes.js';
export { validateEvent, validateBatch, canonicalEvent, eventAheadOf, MAX_EVENT_CLOCK_AHEAD_MS } from './validate.js';
export { EVENT_BATCH_VERSION, EVENT_RECORD_VERSION, encodeBatch, decodeBatch, encodeEvent, decodeEvent } from './codec.js';
export {
  EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, EVENTS_SUBJECTS, DEADLETTER_SUBJECT, DEADLETTER_STREAM, DEADLETTER_HEADERS,
  SNAPSHOT_BUCKET, STATE_CONSUMER_PREFIX, isNameToken, eventSubject, edgeIdOfSubject, batchMessageId,
} from './names.js';
export { ipToBytes16, bytes16ToIp } from './ip.js';
export { SNAPSHOT_MANIFEST_VERSION, encodeManifest, decodeManifest } from './manifest.js';
export type { SnapshotManifest } from './manifest.js';
export { REGISTER_VERSION, encodeRegister, encodeRegisterInto, REGISTER_MAX_LENGTH, decodeRegister, readRegisterView } from './register.js';
export type { RegisterView } from './register.js';
export { CORE_DOMAIN, SITE_EVENTS_STREAM, hubStream, aggregateStream, domainApi, validateTopology, sitesOf } from './topology.js';
export type { Topology } from './topology.js';
