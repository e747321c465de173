import { ByteReader } from './byte-reader.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { extractIp, type NotIpReason } from './link-types.js';
import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS, readPcapHeader, readPcapRecords } from './pcap.js';
import { PcapngBlockType, readPcapngRecords } from './pcapng.js';
import type { CaptureFormat, CaptureRecord } from './record.js';

/** A captured frame with its IP packet located (or the reason there is none). */
export interface CapturePacket extends CaptureRecord {
  /** The packet from its IP header on (a view into the file), or null when the frame holds no IP packet. */
  readonly ip: Uint8Array | null;
  readonly ipVersion: 4 | 6 | null;
  /** Why `ip` is null: a NotIpReason and a human-readable detail. */
  readonly notIp: { readonly reason: NotIpReason; readonly detail: string } | null;
}

/** Tells pcap from pcapng by the first four bytes; throws BAD_MAGIC (or TRUNCATED for < 4 bytes). */
export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat {
  if (bytes.length < 4) {
    throw new CaptureError(CaptureErrorCode.TRUNCATED, `capture file is ${bytes.length} bytes long: too short for a magic number`, 0);
  }
  const le = new ByteReader(bytes, true).u32(0, 'the magic number');
  const be = new ByteReader(bytes, false).u32(0, 'the magic number');
  if (le === PcapngBlockType.SECTION_HEADER) return 'pcapng';
  for (const magic of [PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS]) {
    if (le === magic || be === magic) return 'pcap';
  }
  throw new CaptureError(CaptureErrorCode.BAD_MAGIC, `not a pcap or pcapng file: starts with 0x${be.toString(16).padStart(8, '0')}`, 0);
}

/** Yields the raw frames of a pcap or pcapng file in order; throws CaptureError at the first malformed part. */
export function* readCaptureRecords(bytes: Uint8Array): Generator<CaptureRecord, void, undefined> {
  if (detectCaptureFormat(bytes) === 'pcapng') yield* readPcapngRecords(bytes);
  else yield* readPcapRecords(bytes, readPcapHeader(bytes));
}

/** Locates the IP packet of one record. Never throws. */
export function toCapturePacket(record: CaptureRecord): CapturePacket {
  const found = extractIp(record.linkType, record.frame);
  return found.ok
    ? { ...record, ip: found.ip, ipVersion: found.ipVersion, notIp: null }
    : { ...record, ip: null, ipVersion: null, notIp: { reason: found.reason, detail: found.detail } };
}

/**
 * Yields every packet of a pcap or pcapng file with its IP packet located. Lazy: a malformed part
 * of the file throws a CaptureError (with its byte offset) only when reached, after the packets
 * before it were yielded, so a caller can report what it processed before the damage.
 */
export function* readCapturePackets(bytes: Uint8Array): Generator<CapturePacket, void, undefined> {
  for (const record of readCaptureRecords(bytes)) yield toCapturePacket(record);
}

/** Reads a whole capture at once; throws CaptureError if any part is malformed. */
export function readCapture(bytes: Uint8Array): { readonly format: CaptureFormat; readonly packets: CapturePacket[] } {
  const format = detectCaptureFormat(bytes);
  return { format, packets: [...readCapturePackets(bytes)] };
}
