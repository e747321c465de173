import { INT_SLOTS, IntSlot } from './scheme.js';

/** Why PacketView.load refused a packet (the rules see only IPv4/IPv6 UDP). */
export const ViewRefusal = {
  NONE: 0,
  TRUNCATED: 1,
  MALFORMED: 2,
  NON_UDP: 3,
  FRAGMENT: 4,
} as const;
export type ViewRefusal = (typeof ViewRefusal)[keyof typeof ViewRefusal];
export const VIEW_REFUSAL_NAMES = ['ok', 'truncated', 'malformed', 'non-udp', 'fragment'] as const;

const UDP = 17;
const EXTENSION_HEADERS = new Set([0, 43, 60, 135, 139, 140]); // hop-by-hop, routing, dest opts, mobility, HIP, shim6
const FRAGMENT = 44;
const AH = 51;
const MAX_EXTENSION_HEADERS = 16;
const EMPTY = new Uint8Array(0);

/**
 * One packet as the compiled rules read it: the fields decoded once per packet into preallocated
 * slots, and the raw bytes left where they are (no copy, no allocation per packet). A worker keeps
 * one view and reloads it for every packet.
 */
export class PacketView {
  bytes: Uint8Array = EMPTY;
  /** offset of the IP header in `bytes`, and the packet's length from there */
  offset = 0;
  length = 0;
  /** 4 or 6 once loaded; 0 when the last load refused */
  version = 0;
  /** header-declared integer fields, by IntSlot */
  readonly ints = new Float64Array(INT_SLOTS);
  /** IPv6 source words 0–3 and destination words 4–7 (big-endian 32-bit words) */
  readonly addr6 = new Uint32Array(8);
  /** absolute offsets in `bytes` of the UDP header and payload, and the end of the UDP datagram (as declared, clipped to the bytes present) */
  udpStart = 0;
  payloadStart = 0;
  udpEnd = 0;
  /** end of the IP packet: its declared length clipped to the bytes present */
  ipEnd = 0;

  /**
   * Decodes an IP packet `bytes[offset, offset + length)`. `udpOffset`, when the caller knows it
   * (the edge builds the header itself), skips the IPv6 extension-header walk. Returns
   * ViewRefusal.NONE or why the packet is not UDP the rules can read. Never throws.
   */
  load(bytes: Uint8Array, offset: number, length: number, udpOffset = -1): ViewRefusal {
    this.version = 0;
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    if (length < 1 || offset + length > bytes.length) return ViewRefusal.TRUNCATED;
    const b = bytes;
    const o = offset;
    const ints = this.ints;
    const v = b[o]! >> 4;
    let hdr: number;
    if (v === 4) {
      if (length < 20) return ViewRefusal.TRUNCATED;
      hdr = (b[o]! & 0x0f) * 4;
      const total = (b[o + 2]! << 8) | b[o + 3]!;
      if (hdr < 20 || total < hdr) return ViewRefusal.MALFORMED;
      if (b[o + 9] !== UDP) return ViewRefusal.NON_UDP;
      if ((((b[o + 6]! << 8) | b[o + 7]!) & 0x3fff) !== 0) return ViewRefusal.FRAGMENT;
      ints[IntSlot.LEN] = total;
      ints[IntSlot.TTL] = b[o + 8]!;
      ints[IntSlot.SRC4] = ((b[o + 12]! << 24) | (b[o + 13]! << 16) | (b[o + 14]! << 8) | b[o + 15]!) >>> 0;
      ints[IntSlot.DST4] = ((b[o + 16]! << 24) | (b[o + 17]! << 16) | (b[o + 18]! << 8) | b[o + 19]!) >>> 0;
      this.ipEnd = o + Math.min(total, length);
    } else if (v === 6) {
      if (length < 40) return ViewRefusal.TRUNCATED;
      hdr = udpOffset >= 40 ? udpOffset : this.walkIpv6(b, o, length);
      if (hdr < 0) return -hdr as ViewRefusal;
      ints[IntSlot.LEN] = 40 + ((b[o + 4]! << 8) | b[o + 5]!);
      ints[IntSlot.TTL] = b[o + 7]!;
      ints[IntSlot.SRC4] = 0;
      ints[IntSlot.DST4] = 0;
      const a = this.addr6;
      for (let i = 0; i < 8; i++) {
        const at = o + 8 + i * 4;
        a[i] = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
      }
      this.ipEnd = o + Math.min(ints[IntSlot.LEN]!, length);
    } else {
      return ViewRefusal.MALFORMED;
    }
    const u = o + hdr;
    if (u + 8 > this.ipEnd) return ViewRefusal.TRUNCATED;
    const udpLength = (b[u + 4]! << 8) | b[u + 5]!;
    if (udpLength < 8) return ViewRefusal.MALFORMED;
    ints[IntSlot.PROTO] = UDP;
    ints[IntSlot.HDR_LEN] = hdr;
    ints[IntSlot.SRC_PORT] = (b[u]! << 8) | b[u + 1]!;
    ints[IntSlot.DST_PORT] = (b[u + 2]! << 8) | b[u + 3]!;
    ints[IntSlot.UDP_LENGTH] = udpLength;
    this.udpStart = u;
    this.payloadStart = u + 8;
    this.udpEnd = Math.min(u + udpLength, this.ipEnd);
    this.version = v;
    return ViewRefusal.NONE;
  }

  /** Offset of the UDP header after IPv6 extension headers, or a negated ViewRefusal. */
  private walkIpv6(b: Uint8Array, o: number, length: number): number {
    let next = b[o + 6]!;
    let at = 40;
    for (let n = 0; n <= MAX_EXTENSION_HEADERS; n++) {
      if (next === UDP) return at;
      if (next === FRAGMENT) {
        if (at + 8 > length) return -ViewRefusal.TRUNCATED;
        // an atomic fragment (offset 0, no more fragments) carries the whole datagram
        if ((((b[o + at + 2]! << 8) | b[o + at + 3]!) & 0xfff9) !== 0) return -ViewRefusal.FRAGMENT;
        next = b[o + at]!;
        at += 8;
      } else if (EXTENSION_HEADERS.has(next) || next === AH) {
        if (at + 2 > length) return -ViewRefusal.TRUNCATED;
        const size = next === AH ? (b[o + at + 1]! + 2) * 4 : (b[o + at + 1]! + 1) * 8;
        next = b[o + at]!;
        at += size;
      } else {
        return -ViewRefusal.NON_UDP;
      }
    }
    return -ViewRefusal.MALFORMED;
  }

  /** [start, end) in `bytes` of a ByteBase range */
  rangeStart(base: number): number {
    return base === 0 ? this.offset : base === 1 ? this.udpStart : this.payloadStart;
  }
  rangeEnd(base: number): number {
    return base === 0 ? this.ipEnd : this.udpEnd;
  }
}
