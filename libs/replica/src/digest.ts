import { createHash } from 'node:crypto';
import { decodeEvent, type StatusEvent } from '@flowshield/proto';
import type { Database } from 'lmdb';

export interface StateDigest {
  /** Hex SHA-256 over every register in key order. */
  digest: string;
  entries: number;
}

const encoder = new TextEncoder();

/**
 * The canonical bytes of one register, independent of how the value was encoded on disk, so the
 * digest survives a change of record encoding.
 */
function registerBytes(key: Uint8Array, e: StatusEvent): Uint8Array {
  const edge = encoder.encode(e.edgeId);
  const buf = new Uint8Array(4 + key.length + 2 + 8 * 5 + 2 + 2 + 1 + edge.length);
  const view = new DataView(buf.buffer);
  let o = 0;
  view.setUint32(o, key.length); o += 4;
  buf.set(key, o); o += key.length;
  buf[o++] = e.prevStatus;
  buf[o++] = e.status;
  view.setFloat64(o, e.expiry); o += 8;
  view.setFloat64(o, e.hlcWall); o += 8;
  view.setFloat64(o, e.seq); o += 8;
  view.setFloat64(o, e.programVersion); o += 8;
  view.setFloat64(o, e.reason); o += 8;
  view.setUint16(o, e.hlcLogical); o += 2;
  view.setUint16(o, edge.length); o += 2;
  buf[o++] = 0;
  buf.set(edge, o);
  return buf;
}

/**
 * Order-independent by construction: LMDB iterates keys sorted, and the merge makes each
 * register's content independent of arrival order, so equal event sets give equal digests.
 */
export function computeDigest(status: Database<Uint8Array, Buffer>): StateDigest {
  const hash = createHash('sha256');
  let entries = 0;
  for (const { key, value } of status.getRange({})) {
    hash.update(registerBytes(key, decodeEvent(value)));
    entries++;
  }
  return { digest: hash.digest('hex'), entries };
}
