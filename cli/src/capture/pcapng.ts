import { ByteReader } from './byte-reader.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { MAX_FRAME_LENGTH, type CaptureRecord } from './record.js';

/** pcapng block types (the ones read; every other type is skipped by its length). */
export const PcapngBlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  OBSOLETE_PACKET: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  ENHANCED_PACKET: 0x00000006,
} as const;

/** Option codes used by the reader and the writer. */
export const PcapngOption = {
  END_OF_OPTIONS: 0,
  COMMENT: 1,
  SHB_USER_APPLICATION: 4,
  IF_NAME: 2,
  IF_TSRESOL: 9,
  IF_TSOFFSET: 14,
} as const;

export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const MIN_BLOCK_LENGTH = 12;
const MIN_SECTION_HEADER_LENGTH = 28;

/** An interface as its Interface Description Block defines it. */
export interface PcapngInterface {
  readonly section: number;
  readonly id: number;
  readonly linkType: number;
  readonly snapLength: number;
  readonly name: string | null;
  /** Timestamp units: ticks per second is 10^exponent (decimal) or 2^exponent (binary). */
  readonly tsResolution: { readonly base: 10 | 2; readonly exponent: number };
  /** Seconds added to every timestamp (if_tsoffset). */
  readonly tsOffsetSeconds: bigint;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Reads the options between `start` and `end`; throws BAD_OPTION when one runs past `end`. */
function readOptions(r: ByteReader, start: number, end: number): Map<number, Uint8Array[]> {
  const options = new Map<number, Uint8Array[]>();
  let offset = start;
  while (offset + 4 <= end) {
    const code = r.u16(offset, 'an option header');
    const length = r.u16(offset + 2, 'an option header');
    if (code === PcapngOption.END_OF_OPTIONS) break;
    if (offset + 4 + length > end) {
      throw new CaptureError(CaptureErrorCode.BAD_OPTION, `option ${code} of ${length} bytes runs past the end of its block`, offset);
    }
    const value = r.slice(offset + 4, length, 'an option value');
    const list = options.get(code);
    if (list) list.push(value);
    else options.set(code, [value]);
    offset += 4 + pad4(length);
  }
  return options;
}

function firstString(options: Map<number, Uint8Array[]>, code: number): string | null {
  const value = options.get(code)?.[0];
  return value ? utf8.decode(value).replace(/\0+$/, '') : null;
}

/** Converts a pcapng timestamp in interface ticks to nanoseconds since the epoch. */
export function ticksToNanoseconds(ticks: bigint, iface: PcapngInterface): bigint {
  const { base, exponent } = iface.tsResolution;
  let ns: bigint;
  if (base === 10) {
    ns = exponent <= 9 ? ticks * 10n ** BigInt(9 - exponent) : ticks / 10n ** BigInt(exponent - 9);
  } else {
    ns = (ticks * 1_000_000_000n) >> BigInt(exponent);
  }
  return ns + iface.tsOffsetSeconds * 1_000_000_000n;
}

function parseInterface(r: ByteReader, section: number, id: number, body: number, end: number, offset: number): PcapngInterface {
  if (end - body < 8) {
    throw new CaptureError(CaptureErrorCode.BAD_BLOCK_LENGTH, 'interface description block is shorter than its fixed fields', offset);
  }
  const linkType = r.u16(body, 'an interface link type');
  const snapLength = r.u32(body + 4, 'an interface snapshot length');
  const options = readOptions(r, body + 8, end);
  let tsResolution: PcapngInterface['tsResolution'] = { base: 10, exponent: 6 };
  const resol = options.get(PcapngOption.IF_TSRESOL)?.[0];
  if (resol && resol.length >= 1) {
    const v = resol[0]!;
    tsResolution = v & 0x80 ? { base: 2, exponent: v & 0x7f } : { base: 10, exponent: v };
  }
  let tsOffsetSeconds = 0n;
  const tsOffset = options.get(PcapngOption.IF_TSOFFSET)?.[0];
  if (tsOffset && tsOffset.length >= 8) {
    tsOffsetSeconds = new DataView(tsOffset.buffer, tsOffset.byteOffset, 8).getBigInt64(0, r.littleEndian);
  }
  return { section, id, linkType, snapLength, name: firstString(options, PcapngOption.IF_NAME), tsResolution, tsOffsetSeconds };
}

/** Detects the byte order of the Section Header Block at `offset` from its byte-order magic. */
function sectionByteOrder(bytes: Uint8Array, offset: number): boolean {
  const probe = new ByteReader(bytes, true);
  probe.need(offset, 12, 'a section header block');
  const le = probe.u32(offset + 8, 'the byte-order magic');
  if (le === PCAPNG_BYTE_ORDER_MAGIC) return true;
  const be = new ByteReader(bytes, false).u32(offset + 8, 'the byte-order magic');
  if (be === PCAPNG_BYTE_ORDER_MAGIC) return false;
  throw new CaptureError(CaptureErrorCode.BAD_MAGIC, `bad pcapng byte-order magic 0x${be.toString(16).padStart(8, '0')}`, offset + 8);
}

/** Observer for structure the packet stream does not carry (used by tests and tools). */
export interface PcapngVisitor {
  onInterface?(iface: PcapngInterface): void;
  onSection?(section: number, littleEndian: boolean, userApplication: string | null): void;
}

/**
 * Yields every packet (Enhanced, Simple and obsolete Packet Blocks) of a pcapng file, across
 * sections and interfaces, in file order. Other block types are skipped by their length. Throws a
 * CaptureError naming the block offset on the first malformed block, after yielding the packets
 * before it.
 */
export function* readPcapngRecords(bytes: Uint8Array, visitor: PcapngVisitor = {}): Generator<CaptureRecord, void, undefined> {
  let r = new ByteReader(bytes, true);
  let section = -1;
  let interfaces: PcapngInterface[] = [];
  let index = 0;
  let offset = 0;

  while (offset < bytes.length) {
    r.need(offset, 8, 'a block header');
    const rawType = new ByteReader(bytes, true).u32(offset, 'a block type');
    if (rawType === PcapngBlockType.SECTION_HEADER) {
      r = new ByteReader(bytes, sectionByteOrder(bytes, offset));
    } else if (section < 0) {
      throw new CaptureError(CaptureErrorCode.BAD_SECTION, 'pcapng data before the first section header block', offset);
    }
    const type = r.u32(offset, 'a block type');
    const length = r.u32(offset + 4, 'a block length');
    const minimum = type === PcapngBlockType.SECTION_HEADER ? MIN_SECTION_HEADER_LENGTH : MIN_BLOCK_LENGTH;
    if (length < minimum || length % 4 !== 0) {
      throw new CaptureError(CaptureErrorCode.BAD_BLOCK_LENGTH, `block of type 0x${type.toString(16)} has length ${length}`, offset);
    }
    r.need(offset, length, `a block of type 0x${type.toString(16)} (${length} bytes)`);
    const trailer = r.u32(offset + length - 4, 'a block trailer');
    if (trailer !== length) {
      throw new CaptureError(CaptureErrorCode.BAD_BLOCK_LENGTH, `block length ${length} disagrees with its trailer ${trailer}`, offset);
    }
    const body = offset + 8;
    const end = offset + length - 4;

    switch (type) {
      case PcapngBlockType.SECTION_HEADER: {
        const major = r.u16(body + 4, 'the section version');
        if (major !== 1) {
          throw new CaptureError(CaptureErrorCode.BAD_SECTION, `pcapng major version ${major} is not supported`, body + 4);
        }
        section += 1;
        interfaces = [];
        const options = readOptions(r, body + 16, end);
        visitor.onSection?.(section, r.littleEndian, firstString(options, PcapngOption.SHB_USER_APPLICATION));
        break;
      }
      case PcapngBlockType.INTERFACE_DESCRIPTION: {
        const iface = parseInterface(r, section, interfaces.length, body, end, offset);
        interfaces.push(iface);
        visitor.onInterface?.(iface);
        break;
      }
      case PcapngBlockType.ENHANCED_PACKET:
      case PcapngBlockType.OBSOLETE_PACKET: {
        const enhanced = type === PcapngBlockType.ENHANCED_PACKET;
        if (end - body < 20) {
          throw new CaptureError(CaptureErrorCode.BAD_BLOCK_LENGTH, 'packet block is shorter than its fixed fields', offset);
        }
        const interfaceId = enhanced ? r.u32(body, 'an interface id') : r.u16(body, 'an interface id');
        const iface = interfaces[interfaceId];
        if (!iface) {
          throw new CaptureError(CaptureErrorCode.UNKNOWN_INTERFACE, `packet refers to interface ${interfaceId}, section ${section} defines ${interfaces.length}`, offset);
        }
        const ticks = (BigInt(r.u32(body + 4, 'a timestamp')) << 32n) | BigInt(r.u32(body + 8, 'a timestamp'));
        const capturedLength = r.u32(body + 12, 'a captured length');
        const originalLength = r.u32(body + 16, 'an original length');
        const dataStart = body + 20;
        if (capturedLength > MAX_FRAME_LENGTH || dataStart + pad4(capturedLength) > end) {
          throw new CaptureError(CaptureErrorCode.BAD_RECORD_LENGTH, `packet claims ${capturedLength} captured bytes, its block holds ${end - dataStart}`, offset);
        }
        const options = readOptions(r, dataStart + pad4(capturedLength), end);
        yield {
          index: index++,
          timestampNs: ticksToNanoseconds(ticks, iface),
          section,
          interfaceId,
          linkType: iface.linkType,
          snapLength: iface.snapLength,
          originalLength,
          frame: r.slice(dataStart, capturedLength, 'packet data'),
          comment: firstString(options, PcapngOption.COMMENT),
          fileOffset: offset,
        };
        break;
      }
      case PcapngBlockType.SIMPLE_PACKET: {
        const iface = interfaces[0];
        if (!iface) {
          throw new CaptureError(CaptureErrorCode.UNKNOWN_INTERFACE, `simple packet block but section ${section} defines no interface`, offset);
        }
        if (end - body < 4) {
          throw new CaptureError(CaptureErrorCode.BAD_BLOCK_LENGTH, 'simple packet block is shorter than its fixed fields', offset);
        }
        const originalLength = r.u32(body, 'an original length');
        const room = end - (body + 4);
        let capturedLength = Math.min(originalLength, room);
        if (iface.snapLength > 0) capturedLength = Math.min(capturedLength, iface.snapLength);
        yield {
          index: index++,
          timestampNs: null,
          section,
          interfaceId: 0,
          linkType: iface.linkType,
          snapLength: iface.snapLength,
          originalLength,
          frame: r.slice(body + 4, capturedLength, 'packet data'),
          comment: null,
          fileOffset: offset,
        };
        break;
      }
      default:
        break; // Name resolution, statistics, decryption secrets, custom blocks: not needed.
    }
    offset += length;
  }
}
