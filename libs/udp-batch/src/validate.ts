// Argument checks shared by both implementations, so a bad call fails with the same code either
// way. The C addon checks again (memory safety never rests on this file).
import { ipToBytes16 } from '@flowshield/proto';
import { UdpBatchError, UdpBatchErrorCode as C } from './errors.js';
import { META_WORDS, Meta } from './layout.js';
import type { BatchMemory, OpenOptions, SlotRegion, SocketType } from './types.js';

const MAX_U32 = 0xffff_ffff;

export function checkUint(value: unknown, max: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new UdpBatchError(C.ARGUMENT, `${what} must be an integer in [0, ${max}], got ${String(value)}`);
  }
  return value;
}

/** The bytes of a memory as one Uint8Array (a WebAssembly.Memory is re-read: it may have grown). */
export function bytesOf(memory: BatchMemory): Uint8Array {
  if (memory instanceof Uint8Array) return memory;
  if (ArrayBuffer.isView(memory)) return new Uint8Array(memory.buffer, memory.byteOffset, memory.byteLength);
  if (memory instanceof ArrayBuffer || memory instanceof SharedArrayBuffer) return new Uint8Array(memory);
  const buffer = (memory as { buffer?: unknown } | null)?.buffer;
  if (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer) return new Uint8Array(buffer);
  throw new UdpBatchError(C.ARGUMENT, 'memory must be an ArrayBuffer, a SharedArrayBuffer, a WebAssembly.Memory or a typed array');
}

export function checkMeta(meta: unknown, records: number): Uint32Array {
  if (!(meta instanceof Uint32Array)) throw new UdpBatchError(C.ARGUMENT, 'meta must be a Uint32Array');
  if (meta.length < records * META_WORDS) {
    throw new UdpBatchError(C.META, `meta holds ${Math.floor(meta.length / META_WORDS)} records, the batch needs ${records}`);
  }
  return meta;
}

/** Checks a region against its memory; returns the slot size. */
export function checkRegion(region: SlotRegion, bytes: Uint8Array): number {
  if (region === null || typeof region !== 'object') throw new UdpBatchError(C.ARGUMENT, 'region must be an object');
  const offset = checkUint(region.offset, MAX_U32, 'region.offset');
  const stride = checkUint(region.stride, MAX_U32, 'region.stride');
  const count = checkUint(region.count, 1 << 20, 'region.count');
  const slot = region.slotSize === undefined ? stride : checkUint(region.slotSize, MAX_U32, 'region.slotSize');
  if (slot > stride) throw new UdpBatchError(C.STRIDE, `slotSize ${slot} is larger than stride ${stride}: slots would overlap`);
  if (count > 0 && offset + (count - 1) * stride + slot > bytes.byteLength) {
    throw new UdpBatchError(C.REGION, `${count} slots of ${stride} bytes from offset ${offset} run past the memory's ${bytes.byteLength} bytes`);
  }
  return slot;
}

const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

export function isMapped(meta: Uint32Array, i: number): boolean {
  const a = new Uint8Array(meta.buffer, meta.byteOffset + (i * META_WORDS + Meta.ADDRESS) * 4, 12);
  for (let k = 0; k < 12; k++) if (a[k] !== MAPPED[k]) return false;
  return true;
}

/**
 * Checks a whole send batch before any of it goes (a bad record is a caller bug, not a partial
 * send). type null: a connected socket, whose records' destinations are not used.
 */
export function checkSendBatch(type: SocketType | null, bytes: Uint8Array, meta: Uint32Array, first: number, count: number): void {
  for (let i = first; i < first + count; i++) {
    const b = i * META_WORDS;
    if (meta[b + Meta.OFFSET]! + meta[b + Meta.LENGTH]! > bytes.byteLength) {
      throw new UdpBatchError(C.REGION, `record ${i}: datagram at ${meta[b + Meta.OFFSET]} + ${meta[b + Meta.LENGTH]} runs past the memory's ${bytes.byteLength} bytes`);
    }
    if (type === null) continue;
    if (meta[b + Meta.PORT]! > 65535) throw new UdpBatchError(C.ADDRESS, `record ${i}: port ${meta[b + Meta.PORT]} is not a port`);
    if (type === 'udp4' && !isMapped(meta, i)) {
      throw new UdpBatchError(C.ADDRESS, `record ${i}: a udp4 socket sends only to IPv4(-mapped) addresses`);
    }
  }
}

/** The bind address as 16 bytes, checked against the socket type. */
export function bindAddress(options: OpenOptions): Uint8Array {
  if (options === null || typeof options !== 'object' || (options.type !== 'udp4' && options.type !== 'udp6')) {
    throw new UdpBatchError(C.ARGUMENT, "options.type must be 'udp4' or 'udp6'");
  }
  const text = options.address ?? (options.type === 'udp4' ? '0.0.0.0' : '::');
  let bytes: Uint8Array;
  try {
    bytes = ipToBytes16(text);
  } catch (err) {
    throw new UdpBatchError(C.ADDRESS, `not an IP address: ${JSON.stringify(text)}`, { cause: err });
  }
  const mapped = MAPPED.every((v, k) => bytes[k] === v);
  if (options.type === 'udp4' && !mapped) throw new UdpBatchError(C.ADDRESS, `a udp4 socket binds an IPv4 address, not ${text}`);
  if (options.type === 'udp6' && mapped && text.includes('.') && !text.includes(':')) {
    throw new UdpBatchError(C.ADDRESS, `a udp6 socket binds an IPv6 address, not ${text}`);
  }
  return bytes;
}

/** The connect peer as 16 bytes and a port, or null; a udp4 socket needs an IPv4 peer. */
export function connectPeer(options: OpenOptions): { address: Uint8Array; port: number } | null {
  const peer = options.connect;
  if (peer === undefined) return null;
  if (peer === null || typeof peer !== 'object') throw new UdpBatchError(C.ARGUMENT, 'options.connect must be { address, port }');
  let bytes: Uint8Array;
  try {
    bytes = ipToBytes16(peer.address);
  } catch (err) {
    throw new UdpBatchError(C.ADDRESS, `not an IP address: ${JSON.stringify(peer.address)}`, { cause: err });
  }
  if (options.type === 'udp4' && !MAPPED.every((v, k) => bytes[k] === v)) {
    throw new UdpBatchError(C.ADDRESS, `a udp4 socket connects to an IPv4 address, not ${peer.address}`);
  }
  return { address: bytes, port: checkUint(peer.port, 65535, 'options.connect.port') };
}

export function checkOptions(options: OpenOptions): { port: number; recv: number; send: number } {
  return {
    port: checkUint(options.port ?? 0, 65535, 'options.port'),
    recv: checkUint(options.recvBufferSize ?? 0, 1 << 30, 'options.recvBufferSize'),
    send: checkUint(options.sendBufferSize ?? 0, 1 << 30, 'options.sendBufferSize'),
  };
}

/** first/count of a send call, defaulting to all of meta. */
export function sendRange(meta: Uint32Array, first: number | undefined, count: number | undefined): [number, number] {
  const f = first === undefined ? 0 : checkUint(first, 1 << 26, 'first');
  const n = count === undefined ? Math.max(0, Math.floor(meta.length / META_WORDS) - f) : checkUint(count, 1 << 20, 'count');
  checkMeta(meta, f + n);
  return [f, n];
}
