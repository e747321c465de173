/** libs/events: the event publisher the edge embeds, and the hybrid logical clock. */
export { EventPublisher } from './publisher.js';
export type { EventPublisherOptions, PublisherStats, EventInput, PublisherLogger } from './publisher.js';
export { HybridLogicalClock, compareHlc } from './hlc.js';
export type { HlcTimestamp, HybridLogicalClockOptions } from './hlc.js';
export { ensureEventStreams, ensureRegionStreams, ensureSiteStreams, streamLimitsOf, DEFAULT_EVENT_STREAM_LIMITS, DEFAULT_DEADLETTER_STREAM_LIMITS } from './streams.js';
export type { EventStreamOptions, StreamLimits, StreamAction, EnsuredStreams, RegionStreamOptions } from './streams.js';
export { isFleetTransition } from './scope.js';
export { PublisherError, PublisherErrorCode } from './errors.js';
export { readEventHistory, eventStreamBounds } from './history.js';
export type { HistoryEntry, HistoryOptions } from './history.js';
export {
  openSnapshotStore, snapshotId, uploadSnapshot, listSnapshots, downloadSnapshot, createSnapshot, restoreSnapshot,
  isEmptyReplicaDir, SnapshotError, SnapshotErrorCode,
} from './snapshots.js';
export type { UploadSnapshotInput, SnapshotCopyFacts, SnapshotReplicaOps, SnapshotPhase, SnapshotProgressFn } from './snapshots.js';
export { Progress, SnapshotProgress } from './progress.js';
