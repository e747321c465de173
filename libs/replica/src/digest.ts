import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';

export interface StateDigest {
  /** Hex SHA-256 over every register in key order. */
  digest: string;
  entries: number;
}

/**
 * Order-independent by construction: LMDB iterates keys sorted, the merge makes each register's
 * content independent of arrival order, and a register's stored bytes are canonical (libs/proto
 * register layout), so equal event sets give equal digests. Each key and value is length-prefixed.
 */
export function computeDigest(status: Database<Uint8Array, Buffer>): StateDigest {
  const hash = createHash('sha256');
  const lengths = Buffer.alloc(4);
  let entries = 0;
  for (const { key, value } of status.getRange({})) {
    lengths.writeUInt16BE(key.length, 0);
    lengths.writeUInt16BE(value.length, 2);
    hash.update(lengths);
    hash.update(key);
    hash.update(value);
    entries++;
  }
  return { digest: hash.digest('hex'), entries };
}
