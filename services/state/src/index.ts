/** services/state: the JetStream consumer that merges status events into the LMDB replica. */
export { StateService } from './service.js';
export { StateConsumer } from './consumer.js';
export type { ConsumerOptions } from './consumer.js';
export { StateMetrics } from './metrics.js';
export { parseStateConfig, stateUsage } from './config.js';
export type { StateConfig } from './config.js';
export { snapshotReplica, bootstrapReplica, replicaSnapshotOps } from './snapshotter.js';
export { runStateMain } from './main.js';
export { StateError, StateErrorCode } from './errors.js';
