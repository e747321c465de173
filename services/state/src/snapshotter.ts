import type { SnapshotManifest } from '@flowshield/proto';
import { createSnapshot, restoreSnapshot, type SnapshotReplicaOps } from '@flowshield/events';
import { copyReplica, readSnapshotFacts } from '@flowshield/replica';
import type { NatsConnection } from '@nats-io/transport-node';

/** The replica side of snapshots, bound for one replica folder. */
export function replicaSnapshotOps(replicaPath: string): SnapshotReplicaOps {
  return { copy: (target) => copyReplica(replicaPath, target), facts: readSnapshotFacts };
}

export function snapshotReplica(nc: NatsConnection, replicaPath: string, replicaId: string): Promise<SnapshotManifest> {
  return createSnapshot(nc, replicaSnapshotOps(replicaPath), replicaId);
}

/** A new replica starts from the newest snapshot of the stream it reads (null when there is none) and then consumes the tail. */
export function bootstrapReplica(nc: NatsConnection, replicaPath: string, stream: string): Promise<SnapshotManifest | null> {
  return restoreSnapshot(nc, replicaSnapshotOps(replicaPath), replicaPath, { stream });
}
