import { CaptureError, CaptureErrorCode } from './errors.js';
import { PCAP_MAGIC_MICROSECONDS, PCAP_MAGIC_NANOSECONDS } from './pcap.js';

export interface PcapPacketSpec {
  /** Nanoseconds since the epoch (truncated to microseconds unless the file is nanosecond). */
  readonly timestampNs: bigint;
  readonly data: Uint8Array;
  /** Length on the wire (default: data length). */
  readonly originalLength?: number;
}

export interface PcapWriterOptions {
  /** LINKTYPE_* of every frame. */
  readonly linkType: number;
  /** Default 262144. */
  readonly snapLength?: number;
  /** Nanosecond-resolution magic (0xa1b23c4d) instead of microseconds. */
  readonly nanosecond?: boolean;
  /** Default true. */
  readonly littleEndian?: boolean;
}

/** Writes a classic pcap file (version 2.4): the global header then one record per packet. */
export function writePcap(packets: Iterable<PcapPacketSpec>, options: PcapWriterOptions): Uint8Array {
  const le = options.littleEndian ?? true;
  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, options.nanosecond ? PCAP_MAGIC_NANOSECONDS : PCAP_MAGIC_MICROSECONDS, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, options.snapLength ?? 262144, le);
  hv.setUint32(20, options.linkType, le);
  chunks.push(header);
  const perSecond = options.nanosecond ? 1_000_000_000n : 1_000_000n;
  const unit = options.nanosecond ? 1n : 1000n;
  for (const p of packets) {
    if (p.timestampNs < 0n || p.timestampNs / 1_000_000_000n > 0xffffffffn) {
      throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `timestamp ${p.timestampNs} ns does not fit a pcap record`, -1);
    }
    const record = new Uint8Array(16 + p.data.length);
    const rv = new DataView(record.buffer);
    const ticks = p.timestampNs / unit;
    rv.setUint32(0, Number(ticks / perSecond), le);
    rv.setUint32(4, Number(ticks % perSecond), le);
    rv.setUint32(8, p.data.length, le);
    rv.setUint32(12, p.originalLength ?? p.data.length, le);
    record.set(p.data, 16);
    chunks.push(record);
  }
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
