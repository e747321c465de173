import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';

export interface StateDigest {
  /** Hex SHA-256 over every register in key order. */
  digest: string;
  entries: number;
}

/** Hash input is gathered into chunks of this size: one native call per chunk, not three per entry. */
const CHUNK = 256 * 1024;
const PROGRESS_EVERY = 65_536;

/**
 * Order-independent by construction: LMDB iterates keys sorted, the merge makes each register's
 * content independent of arrival order, and a register's stored bytes are canonical (libs/proto
 * register layout), so equal event sets give equal digests. Each key and value is length-prefixed.
 * `onProgress` hears the entries hashed so far, every 65,536 entries and at the end (total: `status.getStats()`).
 */
export function computeDigest(status: Database<Uint8Array, Buffer>, onProgress?: (entries: number) => void): StateDigest {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  let entries = 0;
  for (const { key, value } of status.getRange({})) {
    const size = 4 + key.length + value.length;
    if (used + size > CHUNK) {
      hash.update(chunk.subarray(0, used));
      used = 0;
    }
    chunk.writeUInt16BE(key.length, used);
    chunk.writeUInt16BE(value.length, used + 2);
    chunk.set(key, used + 4);
    chunk.set(value, used + 4 + key.length);
    used += size;
    if (++entries % PROGRESS_EVERY === 0) onProgress?.(entries);
  }
  hash.update(chunk.subarray(0, used));
  onProgress?.(entries);
  return { digest: hash.digest('hex'), entries };
}
