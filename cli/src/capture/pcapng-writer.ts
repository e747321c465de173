import { CaptureError, CaptureErrorCode } from './errors.js';
import { PCAPNG_BYTE_ORDER_MAGIC, PcapngBlockType, PcapngOption } from './pcapng.js';
import type { CaptureRecord } from './record.js';

export interface PcapngInterfaceSpec {
  /** LINKTYPE_* of the frames written on this interface. */
  readonly linkType: number;
  /** Snapshot length; 0 (the default) means no limit. */
  readonly snapLength?: number;
  readonly name?: string;
}

export interface PcapngPacketSpec {
  /** Interface id returned by addInterface (default 0). */
  readonly interfaceId?: number;
  /** Nanoseconds since the epoch; null writes 0. */
  readonly timestampNs: bigint | null;
  /** The frame bytes, link header included. */
  readonly data: Uint8Array;
  /** Length on the wire (default: data length). */
  readonly originalLength?: number;
  /** Written as the packet's opt_comment (UTF-8). */
  readonly comment?: string | null;
}

export interface PcapngWriterOptions {
  /** Byte order of the whole section (default little-endian). */
  readonly littleEndian?: boolean;
  /** shb_userappl option. */
  readonly userApplication?: string;
}

const encoder = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Writes one pcapng section: a Section Header Block, one Interface Description Block per
 * interface (nanosecond timestamps, if_tsresol = 9) and an Enhanced Packet Block per packet, with
 * its comment option when given. Blocks are laid out as the pcapng specification describes:
 * type, total length, body padded to 32 bits, options ending in opt_endofopt, total length again.
 */
export class PcapngWriter {
  private readonly littleEndian: boolean;
  private readonly chunks: Uint8Array[] = [];
  private interfaceCount = 0;

  constructor(options: PcapngWriterOptions = {}) {
    this.littleEndian = options.littleEndian ?? true;
    const options_ = options.userApplication !== undefined ? [this.option(PcapngOption.SHB_USER_APPLICATION, encoder.encode(options.userApplication))] : [];
    const fixed = new Uint8Array(16);
    const view = new DataView(fixed.buffer);
    view.setUint32(0, PCAPNG_BYTE_ORDER_MAGIC, this.littleEndian);
    view.setUint16(4, 1, this.littleEndian);
    view.setUint16(6, 0, this.littleEndian);
    view.setBigInt64(8, -1n, this.littleEndian); // section length not specified
    this.block(PcapngBlockType.SECTION_HEADER, [fixed, ...this.withEnd(options_)]);
  }

  /** Declares an interface; returns its id for addPacket. */
  addInterface(spec: PcapngInterfaceSpec): number {
    const fixed = new Uint8Array(8);
    const view = new DataView(fixed.buffer);
    view.setUint16(0, spec.linkType, this.littleEndian);
    view.setUint32(4, spec.snapLength ?? 0, this.littleEndian);
    const options = [this.option(PcapngOption.IF_TSRESOL, Uint8Array.of(9))];
    if (spec.name !== undefined) options.push(this.option(PcapngOption.IF_NAME, encoder.encode(spec.name)));
    this.block(PcapngBlockType.INTERFACE_DESCRIPTION, [fixed, ...this.withEnd(options)]);
    return this.interfaceCount++;
  }

  addPacket(spec: PcapngPacketSpec): void {
    const interfaceId = spec.interfaceId ?? 0;
    if (!Number.isInteger(interfaceId) || interfaceId < 0 || interfaceId >= this.interfaceCount) {
      throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `interface ${interfaceId} was not added (have ${this.interfaceCount})`, -1);
    }
    const ts = spec.timestampNs ?? 0n;
    if (ts < 0n || ts >= 1n << 64n) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `timestamp ${ts} ns does not fit 64 bits`, -1);
    const fixed = new Uint8Array(20);
    const view = new DataView(fixed.buffer);
    view.setUint32(0, interfaceId, this.littleEndian);
    view.setUint32(4, Number(ts >> 32n), this.littleEndian);
    view.setUint32(8, Number(ts & 0xffffffffn), this.littleEndian);
    view.setUint32(12, spec.data.length, this.littleEndian);
    view.setUint32(16, spec.originalLength ?? spec.data.length, this.littleEndian);
    const data = new Uint8Array(pad4(spec.data.length));
    data.set(spec.data);
    const options = spec.comment != null ? this.withEnd([this.option(PcapngOption.COMMENT, encoder.encode(spec.comment))]) : [];
    this.block(PcapngBlockType.ENHANCED_PACKET, [fixed, data, ...options]);
  }

  /** The file so far. */
  toBytes(): Uint8Array {
    const total = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }

  private option(code: number, value: Uint8Array): Uint8Array {
    if (value.length > 0xffff) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `option ${code} of ${value.length} bytes is too long`, -1);
    const bytes = new Uint8Array(4 + pad4(value.length));
    const view = new DataView(bytes.buffer);
    view.setUint16(0, code, this.littleEndian);
    view.setUint16(2, value.length, this.littleEndian);
    bytes.set(value, 4);
    return bytes;
  }

  /** Appends opt_endofopt to a non-empty option list. */
  private withEnd(options: Uint8Array[]): Uint8Array[] {
    return options.length === 0 ? [] : [...options, new Uint8Array(4)];
  }

  private block(type: number, body: Uint8Array[]): void {
    const length = 12 + body.reduce((n, b) => n + b.length, 0);
    const head = new Uint8Array(8);
    const tail = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, type, this.littleEndian);
    new DataView(head.buffer).setUint32(4, length, this.littleEndian);
    new DataView(tail.buffer).setUint32(0, length, this.littleEndian);
    this.chunks.push(head, ...body, tail);
  }
}

/**
 * Writes records read from any capture back out as pcapng with one comment per packet (what
 * `flowshield test --out` does). Interfaces are recreated per distinct (section, interface) of the
 * input, with its link type and snapshot length; frames and timestamps are kept as they were.
 */
export function writeAnnotatedPcapng(
  entries: Iterable<{ readonly record: CaptureRecord; readonly comment: string | null }>,
  options: PcapngWriterOptions = { userApplication: 'flowshield test' },
): Uint8Array {
  const writer = new PcapngWriter(options);
  const interfaces = new Map<string, number>();
  for (const { record, comment } of entries) {
    const key = `${record.section}/${record.interfaceId}`;
    let id = interfaces.get(key);
    if (id === undefined) {
      id = writer.addInterface({ linkType: record.linkType, snapLength: record.snapLength });
      interfaces.set(key, id);
    }
    writer.addPacket({ interfaceId: id, timestampNs: record.timestampNs, data: record.frame, originalLength: record.originalLength, comment });
  }
  return writer.toBytes();
}
