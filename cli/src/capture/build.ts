import { parseIpAddress } from './address.js';
import { internetChecksum, udpChecksum } from './checksum.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { LinkType } from './link-types.js';

/**
 * Builders for test traffic: IPv4/IPv6 packets with correct lengths and checksums, UDP datagrams,
 * and the link-layer framings the reader understands. Overrides exist to make deliberately
 * broken packets (wrong UDP length, fragments, bad checksum).
 */

export type AddressInput = string | Uint8Array;

/** An IPv6 extension header: a fragment header from its fields, any other type from its option bytes. */
export interface Ipv6ExtensionHeader {
  readonly type: number;
  /** Option bytes (non-fragment types); padded with zeros to a multiple of 8 with the 2-byte prefix. */
  readonly body?: Uint8Array;
  /** Fragment header fields (type 44). */
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
  readonly identification?: number;
}

export interface IpPacketSpec {
  readonly src: AddressInput;
  readonly dst: AddressInput;
  /** Transport protocol number (17 UDP, 6 TCP, 1 ICMP, 58 ICMPv6, ...). */
  readonly protocol: number;
  /** The transport bytes after the IP header(s). */
  readonly payload: Uint8Array;
  /** TTL / hop limit; 64 by default. */
  readonly ttl?: number;
  /** IPv4 only. */
  readonly identification?: number;
  readonly fragmentOffset?: number;
  readonly moreFragments?: boolean;
  readonly dontFragment?: boolean;
  /** IPv4 options, a multiple of 4 bytes, at most 40. */
  readonly ipv4Options?: Uint8Array;
  /** IPv6 only: extension headers between the fixed header and the transport header, in order. */
  readonly ipv6ExtensionHeaders?: readonly Ipv6ExtensionHeader[];
}

export interface UdpPacketSpec extends Omit<IpPacketSpec, 'protocol' | 'payload'> {
  readonly srcPort: number;
  readonly dstPort: number;
  /** The UDP payload; a string is encoded as UTF-8. */
  readonly payload: Uint8Array | string;
  /** Overrides the UDP length field (default: 8 + payload length). */
  readonly udpLength?: number;
  /** Overrides the UDP checksum (default: computed; 0 means "no checksum", legal for IPv4 only). */
  readonly checksum?: number;
}

function address(input: AddressInput): Uint8Array {
  const bytes = typeof input === 'string' ? parseIpAddress(input) : input;
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `an IP address has 4 or 16 bytes, not ${bytes.length}`, -1);
  }
  return bytes;
}

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `${name} ${value} is outside 0..${max}`, -1);
  }
}

/** Builds an IPv4 or IPv6 packet (chosen by the address size) around a transport payload. */
export function buildIpPacket(spec: IpPacketSpec): Uint8Array {
  const src = address(spec.src);
  const dst = address(spec.dst);
  if (src.length !== dst.length) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, 'source and destination are of different IP versions', -1);
  return src.length === 4 ? buildIpv4(spec, src, dst) : buildIpv6(spec, src, dst);
}

function buildIpv4(spec: IpPacketSpec, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const options = spec.ipv4Options ?? new Uint8Array(0);
  if (options.length % 4 !== 0 || options.length > 40) {
    throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `IPv4 options must be a multiple of 4 bytes up to 40, not ${options.length}`, -1);
  }
  const headerLength = 20 + options.length;
  const total = headerLength + spec.payload.length;
  checkRange('IPv4 total length', total, 0xffff);
  const fragmentOffset = spec.fragmentOffset ?? 0;
  if (fragmentOffset % 8 !== 0) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, 'fragment offset must be a multiple of 8', -1);
  checkRange('fragment offset / 8', fragmentOffset / 8, 0x1fff);
  const packet = new Uint8Array(total);
  const view = new DataView(packet.buffer);
  packet[0] = 0x40 | (headerLength / 4);
  view.setUint16(2, total);
  view.setUint16(4, spec.identification ?? 0);
  view.setUint16(6, (spec.dontFragment ? 0x4000 : 0) | (spec.moreFragments ? 0x2000 : 0) | (fragmentOffset / 8));
  packet[8] = spec.ttl ?? 64;
  packet[9] = spec.protocol;
  packet.set(src, 12);
  packet.set(dst, 16);
  packet.set(options, 20);
  view.setUint16(10, internetChecksum(packet.subarray(0, headerLength)));
  packet.set(spec.payload, headerLength);
  return packet;
}

function extensionHeaderBytes(header: Ipv6ExtensionHeader, next: number): Uint8Array {
  if (header.type === 44) {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    const offset = header.fragmentOffset ?? 0;
    if (offset % 8 !== 0) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, 'fragment offset must be a multiple of 8', -1);
    bytes[0] = next;
    view.setUint16(2, offset | (header.moreFragments ? 1 : 0));
    view.setUint32(4, header.identification ?? 0);
    return bytes;
  }
  const body = header.body ?? new Uint8Array(0);
  const length = Math.max(8, Math.ceil((2 + body.length) / 8) * 8);
  const bytes = new Uint8Array(length);
  bytes[0] = next;
  bytes[1] = length / 8 - 1;
  bytes.set(body, 2);
  return bytes;
}

function buildIpv6(spec: IpPacketSpec, src: Uint8Array, dst: Uint8Array): Uint8Array {
  const headers = spec.ipv6ExtensionHeaders ?? [];
  const encoded: Uint8Array[] = headers.map((h, i) => extensionHeaderBytes(h, i + 1 < headers.length ? headers[i + 1]!.type : spec.protocol));
  const extensionLength = encoded.reduce((n, h) => n + h.length, 0);
  const payloadLength = extensionLength + spec.payload.length;
  checkRange('IPv6 payload length', payloadLength, 0xffff);
  const packet = new Uint8Array(40 + payloadLength);
  const view = new DataView(packet.buffer);
  view.setUint32(0, 0x60000000);
  view.setUint16(4, payloadLength);
  packet[6] = headers.length > 0 ? headers[0]!.type : spec.protocol;
  packet[7] = spec.ttl ?? 64;
  packet.set(src, 8);
  packet.set(dst, 24);
  let at = 40;
  for (const h of encoded) { packet.set(h, at); at += h.length; }
  packet.set(spec.payload, at);
  return packet;
}

/** Builds an IPv4 or IPv6 UDP packet with correct lengths and checksums (unless overridden). */
export function buildUdpPacket(spec: UdpPacketSpec): Uint8Array {
  checkRange('source port', spec.srcPort, 0xffff);
  checkRange('destination port', spec.dstPort, 0xffff);
  const payload = typeof spec.payload === 'string' ? new TextEncoder().encode(spec.payload) : spec.payload;
  const udp = new Uint8Array(8 + payload.length);
  const view = new DataView(udp.buffer);
  const src = address(spec.src);
  const dst = address(spec.dst);
  if (src.length !== dst.length) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, 'source and destination are of different IP versions', -1);
  const udpLength = spec.udpLength ?? udp.length;
  checkRange('UDP length', udpLength, 0xffff);
  view.setUint16(0, spec.srcPort);
  view.setUint16(2, spec.dstPort);
  view.setUint16(4, udpLength);
  udp.set(payload, 8);
  // The checksum covers the datagram as the header declares it; with an overridden length we
  // still checksum the bytes we actually carry, which is what a sender with that bug would do.
  view.setUint16(6, spec.checksum ?? udpChecksum(src, dst, udp));
  return buildIpPacket({ ...spec, protocol: 17, payload: udp });
}

export interface EthernetOptions {
  /** 802.1Q VLAN ids, outermost first. */
  readonly vlanIds?: readonly number[];
  readonly srcMac?: Uint8Array;
  readonly dstMac?: Uint8Array;
  /** Zero bytes appended after the IP packet (e.g. padding up to the 60-byte minimum frame). */
  readonly trailer?: number;
}

/** Wraps an IP packet in an Ethernet II frame (EtherType from the IP version), with optional VLAN tags. */
export function frameEthernet(ip: Uint8Array, options: EthernetOptions = {}): Uint8Array {
  const vlans = options.vlanIds ?? [];
  const frame = new Uint8Array(14 + vlans.length * 4 + ip.length + (options.trailer ?? 0));
  const view = new DataView(frame.buffer);
  frame.set(options.dstMac ?? Uint8Array.of(0x02, 0, 0, 0, 0, 0x02), 0);
  frame.set(options.srcMac ?? Uint8Array.of(0x02, 0, 0, 0, 0, 0x01), 6);
  let at = 12;
  for (const id of vlans) {
    checkRange('VLAN id', id, 0xfff);
    view.setUint16(at, 0x8100);
    view.setUint16(at + 2, id);
    at += 4;
  }
  view.setUint16(at, etherTypeOf(ip));
  frame.set(ip, at + 2);
  return frame;
}

function etherTypeOf(ip: Uint8Array): number {
  return ip.length > 0 && ip[0]! >> 4 === 6 ? 0x86dd : 0x0800;
}

/** Wraps an IP packet in a Linux cooked capture (SLL, link type 113) header. */
export function frameLinuxSll(ip: Uint8Array): Uint8Array {
  const frame = new Uint8Array(16 + ip.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, 0); // packet type: to us
  view.setUint16(2, 1); // ARPHRD_ETHER
  view.setUint16(4, 6); // address length
  frame.set(Uint8Array.of(0x02, 0, 0, 0, 0, 0x01), 6);
  view.setUint16(14, etherTypeOf(ip));
  frame.set(ip, 16);
  return frame;
}

/** Wraps an IP packet in a Linux cooked capture v2 (SLL2, link type 276) header. */
export function frameLinuxSll2(ip: Uint8Array, interfaceIndex = 1): Uint8Array {
  const frame = new Uint8Array(20 + ip.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, etherTypeOf(ip));
  view.setUint32(4, interfaceIndex);
  view.setUint16(8, 1); // ARPHRD_ETHER
  frame[10] = 0; // packet type: to us
  frame[11] = 6; // address length
  frame.set(Uint8Array.of(0x02, 0, 0, 0, 0, 0x01), 12);
  frame.set(ip, 20);
  return frame;
}

/** Frames an IP packet for the given link type (raw types return it unchanged). */
export function frameForLinkType(linkType: number, ip: Uint8Array): Uint8Array {
  switch (linkType) {
    case LinkType.ETHERNET: return frameEthernet(ip);
    case LinkType.LINUX_SLL: return frameLinuxSll(ip);
    case LinkType.LINUX_SLL2: return frameLinuxSll2(ip);
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return ip;
    default:
      throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `cannot frame for link type ${linkType}`, -1);
  }
}
