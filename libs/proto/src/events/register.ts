import { DecodeError } from '../errors.js';
import { EventDecodeCode } from './decode-codes.js';
import type { StatusEvent } from './event.js';
import { isStatus } from './status.js';

/**
 * The stored value of one replica register (the winning event of a (tenant, IP) key; tenant
 * and IP live in the key). A fixed big-endian layout, not msgpack: the state service reads and
 * writes one per merged key, and this is several times cheaper and byte-canonical, so the
 * replica digest can hash the stored bytes as they are.
 *
 *   0 version u8 | 1 prevStatus u8 | 2 status u8 | 3 edgeId length u8 | 4 expiry f64 |
 *  12 hlcWall f64 | 20 hlcLogical u16 | 22 reason u16 | 24 seq f64 | 32 programVersion f64 |
 *  40 edgeId (ASCII, 1–64 bytes)
 */
export const REGISTER_VERSION = 1;
const HEADER = 40;

/** The longest register: the header and a 64-byte edge id. */
export const REGISTER_MAX_LENGTH = HEADER + 64;

export function encodeRegister(e: StatusEvent): Uint8Array {
  const out = new Uint8Array(HEADER + e.edgeId.length);
  encodeRegisterInto(e, out, new DataView(out.buffer));
  return out;
}

/**
 * Writes the register of `e` at the start of `out` (whose `view` covers it from offset 0) and
 * returns its length: the merge encodes one register per written key into one reused buffer.
 */
export function encodeRegisterInto(e: StatusEvent, out: Uint8Array, view: DataView): number {
  const edge = e.edgeId;
  out[0] = REGISTER_VERSION;
  out[1] = e.prevStatus;
  out[2] = e.status;
  out[3] = edge.length;
  view.setFloat64(4, e.expiry);
  view.setFloat64(12, e.hlcWall);
  view.setUint16(20, e.hlcLogical);
  view.setUint16(22, e.reason);
  view.setFloat64(24, e.seq);
  view.setFloat64(32, e.programVersion);
  for (let i = 0; i < edge.length; i++) out[HEADER + i] = edge.charCodeAt(i);
  return HEADER + edge.length;
}

/** Rebuilds the event of a register; `tenant` and `ip` come from its key. */
export function decodeRegister(bytes: Uint8Array, tenant: string, ip: Uint8Array): StatusEvent {
  if (bytes.length < HEADER + 1) throw new DecodeError(EventDecodeCode.SHAPE, `register of ${bytes.length} bytes is too short`);
  if (bytes[0] !== REGISTER_VERSION) throw new DecodeError(EventDecodeCode.VERSION, `register version ${bytes[0]} is not ${REGISTER_VERSION}`);
  const edgeLength = bytes[3]!;
  if (bytes.length !== HEADER + edgeLength) throw new DecodeError(EventDecodeCode.SHAPE, 'register length does not match its edge id');
  const prevStatus = bytes[1], status = bytes[2];
  if (!isStatus(prevStatus) || !isStatus(status)) throw new DecodeError(EventDecodeCode.FIELD, 'register status out of range');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let edgeId = '';
  for (let i = 0; i < edgeLength; i++) edgeId += String.fromCharCode(bytes[HEADER + i]!);
  return {
    tenant, ip, prevStatus, status, expiry: v.getFloat64(4), hlcWall: v.getFloat64(12), hlcLogical: v.getUint16(20),
    edgeId, seq: v.getFloat64(24), reason: v.getUint16(22), programVersion: v.getFloat64(32),
  };
}

/** The fields an edge needs on the packet path, read straight from a register without building an event. */
export interface RegisterView {
  status: number;
  expiry: number;
  hlcWall: number;
  hlcLogical: number;
  edgeId: string;
}

/** Reads a register's status, expiry, HLC and edge id; null when the bytes are not a register of this version. */
export function readRegisterView(bytes: Uint8Array): RegisterView | null {
  if (bytes.length < HEADER + 1 || bytes[0] !== REGISTER_VERSION || bytes.length !== HEADER + bytes[3]!) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let edgeId = '';
  for (let i = HEADER; i < bytes.length; i++) edgeId += String.fromCharCode(bytes[i]!);
  return { status: bytes[2]!, expiry: v.getFloat64(4), hlcWall: v.getFloat64(12), hlcLogical: v.getUint16(20), edgeId };
}
