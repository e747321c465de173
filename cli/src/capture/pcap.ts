import { ByteReader } from './byte-reader.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { MAX_FRAME_LENGTH, type CaptureRecord } from './record.js';

/** Classic pcap magic numbers, as read in the file's own byte order. */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;

const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

export interface PcapHeader {
  readonly littleEndian: boolean;
  readonly nanosecondTimestamps: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snapLength: number;
  /** LINKTYPE_* (the low 16 bits of the header's network field; the high bits carry FCS flags). */
  readonly linkType: number;
}

/** Reads the 24-byte global header; throws BAD_MAGIC or TRUNCATED. */
export function readPcapHeader(bytes: Uint8Array): PcapHeader {
  const probe = new ByteReader(bytes, false);
  probe.need(0, 4, 'the pcap magic number');
  const magicBE = probe.u32(0, 'the pcap magic number');
  const magicLE = new ByteReader(bytes, true).u32(0, 'the pcap magic number');
  let littleEndian: boolean;
  let nanosecondTimestamps: boolean;
  if (magicLE === PCAP_MAGIC_MICROSECONDS || magicLE === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = true;
    nanosecondTimestamps = magicLE === PCAP_MAGIC_NANOSECONDS;
  } else if (magicBE === PCAP_MAGIC_MICROSECONDS || magicBE === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = false;
    nanosecondTimestamps = magicBE === PCAP_MAGIC_NANOSECONDS;
  } else {
    throw new CaptureError(CaptureErrorCode.BAD_MAGIC, `not a pcap file: magic 0x${magicBE.toString(16).padStart(8, '0')}`, 0);
  }
  const r = new ByteReader(bytes, littleEndian);
  r.need(0, GLOBAL_HEADER_LENGTH, 'the pcap global header');
  return {
    littleEndian,
    nanosecondTimestamps,
    versionMajor: r.u16(4, 'the pcap version'),
    versionMinor: r.u16(6, 'the pcap version'),
    snapLength: r.u32(16, 'the pcap snapshot length'),
    linkType: r.u32(20, 'the pcap link type') & 0xffff,
  };
}

/**
 * Yields every record of a classic pcap file in order. Throws a CaptureError (with the offset of
 * the offending record) on a truncated or implausible record, after yielding the good ones before it.
 */
export function* readPcapRecords(bytes: Uint8Array, header: PcapHeader = readPcapHeader(bytes)): Generator<CaptureRecord, void, undefined> {
  const r = new ByteReader(bytes, header.littleEndian);
  const fractionToNs = header.nanosecondTimestamps ? 1n : 1000n;
  let offset = GLOBAL_HEADER_LENGTH;
  for (let index = 0; offset < r.length; index++) {
    r.need(offset, RECORD_HEADER_LENGTH, `the header of pcap record ${index}`);
    const seconds = r.u32(offset, 'a pcap record timestamp');
    const fraction = r.u32(offset + 4, 'a pcap record timestamp');
    const capturedLength = r.u32(offset + 8, 'a pcap record length');
    const originalLength = r.u32(offset + 12, 'a pcap record length');
    if (capturedLength > MAX_FRAME_LENGTH) {
      throw new CaptureError(CaptureErrorCode.BAD_RECORD_LENGTH, `pcap record ${index} claims ${capturedLength} captured bytes`, offset);
    }
    const frame = r.slice(offset + RECORD_HEADER_LENGTH, capturedLength, `the data of pcap record ${index}`);
    yield {
      index,
      timestampNs: BigInt(seconds) * 1_000_000_000n + BigInt(fraction) * fractionToNs,
      section: 0,
      interfaceId: 0,
      linkType: header.linkType,
      snapLength: header.snapLength,
      originalLength,
      frame,
      comment: null,
      fileOffset: offset,
    };
    offset += RECORD_HEADER_LENGTH + capturedLength;
  }
}
