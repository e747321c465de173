/** libs/replica: the LMDB layout of a state replica, the merge rule, the digest, writer and read-only reader. */
export { ReplicaReader } from './reader.js';
export type { ReplicaEntry } from './reader.js';
export { ReplicaWriter } from './writer.js';
export type { MergeBatch, MergeResult, ReplicaCounters } from './writer.js';
export { compareEvents, supersedes, isExpired } from './merge.js';
export type { EventOrder } from './merge.js';
export { computeDigest } from './digest.js';
export type { StateDigest } from './digest.js';
export { REPLICA_LAYOUT_VERSION, statusKey } from './layout.js';
export { ReplicaError, ReplicaErrorCode } from './errors.js';
export { copyReplica, readSnapshotFacts } from './snapshot.js';
export type { SnapshotFacts } from './snapshot.js';
