import { DecodeError } from '../errors.js';
import { EventDecodeCode } from './decode-codes.js';

export const SNAPSHOT_MANIFEST_VERSION = 1;

/**
 * Describes one snapshot in the object store: which stream sequences it covers (so a new replica
 * resumes after them), how many entries it holds and their digest (so the restore is checked).
 */
export interface SnapshotManifest {
  version: typeof SNAPSHOT_MANIFEST_VERSION;
  /** Object name of the snapshot data in the same bucket. */
  dataObject: string;
  /** Replica that cut it. */
  replicaId: string;
  /** Milliseconds since the epoch when it was cut. */
  createdAt: number;
  /** Last merged sequence per source stream. */
  sequences: Record<string, number>;
  entries: number;
  /** Hex state digest (libs/replica). */
  digest: string;
  /** Events merged into the replica up to this snapshot. */
  appliedEvents: number;
  /**
   * The object store's digest of the data object (`SHA-256=<base64url>`), recorded when it was
   * uploaded. The store checks every read against it, so a restore whose object carries this
   * digest holds exactly the bytes `digest` was computed from and need not scan them again.
   * Absent in manifests written before it existed: those restores recompute the state digest.
   */
  dataDigest?: string;
}

/** Manifests are small and read by operators, so they are JSON (with a version field). */
export function encodeManifest(manifest: SnapshotManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest));
}

export function decodeManifest(bytes: Uint8Array): SnapshotManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new DecodeError(EventDecodeCode.MANIFEST, 'snapshot manifest is not JSON', { cause });
  }
  const m = raw as Partial<SnapshotManifest> | null;
  if (!m || typeof m !== 'object') throw new DecodeError(EventDecodeCode.MANIFEST, 'snapshot manifest is not an object');
  if (m.version !== SNAPSHOT_MANIFEST_VERSION) {
    throw new DecodeError(EventDecodeCode.VERSION, `snapshot manifest version ${String(m.version)} is not ${SNAPSHOT_MANIFEST_VERSION}`);
  }
  const ok = typeof m.dataObject === 'string' && typeof m.replicaId === 'string' && Number.isSafeInteger(m.createdAt)
    && typeof m.sequences === 'object' && m.sequences !== null
    && Object.values(m.sequences).every((s) => Number.isSafeInteger(s) && s >= 0)
    && Number.isSafeInteger(m.entries) && typeof m.digest === 'string' && /^[0-9a-f]{64}$/.test(m.digest)
    && Number.isSafeInteger(m.appliedEvents)
    && (m.dataDigest === undefined || (typeof m.dataDigest === 'string' && /^SHA-256=[A-Za-z0-9_=-]{43,44}$/.test(m.dataDigest)));
  if (!ok) throw new DecodeError(EventDecodeCode.MANIFEST, 'snapshot manifest is missing or has malformed fields');
  return m as SnapshotManifest;
}
