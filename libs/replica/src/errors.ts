/**
 * A replica folder that cannot be used (wrong layout version, missing, not an LMDB replica), or a
 * merge that does not continue from the sequence the replica recorded.
 */
export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
  readonly code: string;
  readonly path: string;

  constructor(code: string, message: string, path: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.path = path;
  }
}

export const ReplicaErrorCode = {
  LAYOUT_VERSION: 'FS_ERR_REPLICA_LAYOUT_VERSION',
  OPEN: 'FS_ERR_REPLICA_OPEN',
  SNAPSHOT_TARGET: 'FS_ERR_REPLICA_SNAPSHOT_TARGET',
  SEQUENCE: 'FS_ERR_REPLICA_SEQUENCE',
} as const;
