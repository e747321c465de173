import type { SnapshotManifest } from '@flowshield/proto';
import { createSnapshot, restoreSnapshot, SnapshotProgress, type SnapshotReplicaOps } from '@flowshield/events';
import { copyReplica, readSnapshotFacts } from '@flowshield/replica';
import type { NatsConnection } from '@nats-io/transport-node';

/** The replica side of snapshots, bound for one replica folder. */
export function replicaSnapshotOps(replicaPath: string): SnapshotReplicaOps {
  return { copy: (target, onProgress) => copyReplica(replicaPath, target, onProgress), facts: readSnapshotFacts };
}

export function snapshotReplica(nc: NatsConnection, replicaPath: string, replicaId: string): Promise<SnapshotManifest> {
  return createSnapshot(nc, replicaSnapshotOps(replicaPath), replicaId);
}

/**
 * A new replica starts from the newest snapshot of the stream it reads (null when there is none) and then consumes the
 * tail. Download and check draw a progress bar when stderr is a terminal (never into a log).
 */
export async function bootstrapReplica(nc: NatsConnection, replicaPath: string, stream: string): Promise<SnapshotManifest | null> {
  const progress = new SnapshotProgress('bootstrap', process.stderr, true);
  try {
    return await restoreSnapshot(nc, replicaSnapshotOps(replicaPath), replicaPath, { stream, onProgress: progress.update });
  } finally {
    progress.finish();
  }
}
