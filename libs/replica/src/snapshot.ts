import { mkdirSync, readdirSync } from 'node:fs';
import { open } from 'lmdb';
import { ReplicaError, ReplicaErrorCode } from './errors.js';
import { ReplicaReader } from './reader.js';

/** What a snapshot copy holds, read back from the copy itself so the manifest cannot disagree with it. */
export interface SnapshotFacts {
  sequences: Record<string, number>;
  entries: number;
  digest: string;
  appliedEvents: number;
}

/**
 * Writes a compacted, consistent copy of the replica at `sourcePath` into the empty folder
 * `targetDir` (LMDB copies under one read transaction, so the live writer may keep going) and
 * returns the facts for its manifest. Works on a replica another process is writing.
 */
export async function copyReplica(sourcePath: string, targetDir: string, onProgress?: (done: number, total: number) => void): Promise<SnapshotFacts> {
  mkdirSync(targetDir, { recursive: true });
  if (readdirSync(targetDir).length > 0) {
    throw new ReplicaError(ReplicaErrorCode.SNAPSHOT_TARGET, `snapshot target ${targetDir} is not empty`, targetDir);
  }
  const source = open({ path: sourcePath, readOnly: true });
  try {
    await source.backup(targetDir, true);
  } finally {
    await source.close();
  }
  return readSnapshotFacts(targetDir, onProgress);
}

/**
 * `onProgress(done, total)` follows the digest, in entries. With `digest: false` nothing is
 * scanned: entries is LMDB's own count and the digest is '' (the caller knows it otherwise).
 */
export async function readSnapshotFacts(dir: string, onProgress?: (done: number, total: number) => void,
  options: { digest: boolean } = { digest: true }): Promise<SnapshotFacts> {
  const copy = ReplicaReader.open(dir);
  try {
    const { digest, entries } = options.digest ? copy.digest(onProgress) : { digest: '', entries: copy.entryCount() };
    return { sequences: copy.sequences(), entries, digest, appliedEvents: copy.appliedEvents() };
  } finally {
    await copy.close();
  }
}
