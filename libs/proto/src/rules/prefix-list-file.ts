import { DecodeError } from '../errors.js';

/*
 * A prefix list as stored in the NATS object store (bucket LISTS_BUCKET, object name = the list
 * name): the prefixes themselves, sorted by (address, length) and unique, so an edge rebuilds its
 * lookup structure from them without re-sorting. Big-endian throughout:
 *
 *   0  magic "FSPL"          8  IPv4 count n4 (u32)      16  n4 × IPv4 address (u32)
 *   4  version (u8) = 1     12  IPv6 count n6 (u32)          n4 × IPv4 prefix length (u8)
 *   5  reserved, 0 (3 bytes)                                 n6 × IPv6 address (16 bytes)
 *                                                            n6 × IPv6 prefix length (u8)
 *
 * 5 bytes per IPv4 prefix and 17 per IPv6 prefix: a million IPv4 prefixes are 5 MB.
 */

export const PREFIX_LIST_MAGIC = 'FSPL';
export const PREFIX_LIST_VERSION = 1;
export const PREFIX_LIST_HEADER_SIZE = 16;
/** a list larger than this is refused (the object store takes it, an edge's memory may not) */
export const MAX_LIST_PREFIXES = 16_000_000;

export const ListDecodeCode = {
  MAGIC: 'FS_ERR_PROTO_LIST_MAGIC',
  VERSION: 'FS_ERR_PROTO_LIST_VERSION',
  SIZE: 'FS_ERR_PROTO_LIST_SIZE',
  PREFIX: 'FS_ERR_PROTO_LIST_PREFIX',
  ORDER: 'FS_ERR_PROTO_LIST_ORDER',
} as const;

/** IPv6 addresses are four big-endian 32-bit words each, in `v6Addr[4i, 4i + 4)`. */
export interface PrefixListData {
  readonly v4Addr: Uint32Array;
  readonly v4Len: Uint8Array;
  readonly v6Addr: Uint32Array;
  readonly v6Len: Uint8Array;
}

export function encodePrefixList(d: PrefixListData): Uint8Array {
  const n4 = d.v4Len.length;
  const n6 = d.v6Len.length;
  const out = new Uint8Array(PREFIX_LIST_HEADER_SIZE + n4 * 5 + n6 * 17);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(PREFIX_LIST_MAGIC), 0);
  out[4] = PREFIX_LIST_VERSION;
  view.setUint32(8, n4);
  view.setUint32(12, n6);
  let at = PREFIX_LIST_HEADER_SIZE;
  for (let i = 0; i < n4; i++, at += 4) view.setUint32(at, d.v4Addr[i]!);
  out.set(d.v4Len, at);
  at += n4;
  for (let i = 0; i < n6 * 4; i++, at += 4) view.setUint32(at, d.v6Addr[i]!);
  out.set(d.v6Len, at);
  return out;
}

/** Decodes and validates a list object: lengths in range, no host bits set, sorted and unique. */
export function decodePrefixList(bytes: Uint8Array): PrefixListData {
  const bad = (code: string, reason: string) => new DecodeError(code, `prefix list: ${reason}`);
  if (bytes.length < PREFIX_LIST_HEADER_SIZE || new TextDecoder().decode(bytes.subarray(0, 4)) !== PREFIX_LIST_MAGIC) throw bad(ListDecodeCode.MAGIC, 'does not start with FSPL');
  if (bytes[4] !== PREFIX_LIST_VERSION) throw bad(ListDecodeCode.VERSION, `version ${bytes[4]} is not ${PREFIX_LIST_VERSION}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n4 = view.getUint32(8);
  const n6 = view.getUint32(12);
  if (n4 + n6 > MAX_LIST_PREFIXES) throw bad(ListDecodeCode.SIZE, `${n4 + n6} prefixes is over ${MAX_LIST_PREFIXES}`);
  if (bytes.length !== PREFIX_LIST_HEADER_SIZE + n4 * 5 + n6 * 17) throw bad(ListDecodeCode.SIZE, `${bytes.length} bytes do not hold ${n4} IPv4 and ${n6} IPv6 prefixes`);
  let at = PREFIX_LIST_HEADER_SIZE;
  const v4Addr = new Uint32Array(n4);
  for (let i = 0; i < n4; i++, at += 4) v4Addr[i] = view.getUint32(at);
  const v4Len = bytes.slice(at, at + n4);
  at += n4;
  const v6Addr = new Uint32Array(n6 * 4);
  for (let i = 0; i < n6 * 4; i++, at += 4) v6Addr[i] = view.getUint32(at);
  const v6Len = bytes.slice(at, at + n6);
  checkPrefixes(v4Addr, v4Len, 1, 32, bad);
  checkPrefixes(v6Addr, v6Len, 4, 128, bad);
  return { v4Addr, v4Len, v6Addr, v6Len };
}

function checkPrefixes(addr: Uint32Array, len: Uint8Array, words: number, max: number, bad: (code: string, reason: string) => DecodeError): void {
  for (let i = 0; i < len.length; i++) {
    const l = len[i]!;
    if (l > max) throw bad(ListDecodeCode.PREFIX, `prefix ${i} has length ${l}`);
    for (let w = 0; w < words; w++) {
      const keep = Math.max(0, Math.min(32, l - w * 32));
      const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
      if ((addr[i * words + w]! & ~mask) >>> 0 !== 0) throw bad(ListDecodeCode.PREFIX, `prefix ${i} has bits set below its length`);
    }
    if (i > 0) {
      let c = 0;
      for (let w = 0; w < words && c === 0; w++) c = addr[i * words + w]! - addr[(i - 1) * words + w]!;
      if (c < 0 || (c === 0 && l <= len[i - 1]!)) throw bad(ListDecodeCode.ORDER, `prefix ${i} is out of order or repeated`);
    }
  }
}
