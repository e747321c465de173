/** Why an IP packet is not handed to a flow program as UDP. */
export const NotUdpReason = {
  /** Another transport protocol (TCP, ICMP, ESP, no next header, ...): see `protocol`. */
  NON_UDP: 'non-udp',
  /** An IPv4 fragment or an IPv6 Fragment header that is not an atomic fragment. */
  FRAGMENT: 'fragment',
  /** The packet ends inside the IP header, an extension header or the UDP header. */
  TRUNCATED: 'truncated',
  /** A header field is impossible: IPv4 IHL < 5 or total length < header, UDP length < 8, bad version. */
  MALFORMED: 'malformed',
} as const;
export type NotUdpReason = (typeof NotUdpReason)[keyof typeof NotUdpReason];

export interface UdpPacketInfo {
  readonly kind: 'udp';
  readonly ipVersion: 4 | 6;
  /** Source and destination addresses: 4 or 16 bytes (views into the packet). */
  readonly srcAddress: Uint8Array;
  readonly dstAddress: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  /** IPv4 header with options, or IPv6 header plus every extension header before UDP: the UDP header's offset. */
  readonly ipHeaderLength: number;
  /** Offset of the first UDP payload byte (ipHeaderLength + 8). */
  readonly payloadOffset: number;
  /** The UDP length field (header + payload, as declared). */
  readonly udpLength: number;
  /** Payload bytes present: min(udpLength - 8, bytes after the UDP header). */
  readonly payloadLength: number;
  /** True when the packet holds fewer payload bytes than the UDP length declares. */
  readonly payloadTruncated: boolean;
  /** IPv4 TTL or IPv6 hop limit. */
  readonly ttl: number;
}

export interface NotUdpInfo {
  readonly kind: 'not-udp';
  readonly reason: NotUdpReason;
  /** The transport protocol number, when known. */
  readonly protocol: number | null;
  readonly detail: string;
}

export type UdpClassification = UdpPacketInfo | NotUdpInfo;

const PROTO_UDP = 17;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;
const IPV6_MOBILITY = 135;
const IPV6_HIP = 139;
const IPV6_SHIM6 = 140;
const MAX_EXTENSION_HEADERS = 16;

function notUdp(reason: NotUdpReason, detail: string, protocol: number | null = null): NotUdpInfo {
  return { kind: 'not-udp', reason, protocol, detail };
}

function u16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/**
 * Classifies an IP packet (from its IP header on) as UDP with its fields, or says why it is not.
 * Walks IPv6 extension headers (hop-by-hop, routing, destination options, atomic fragments, AH,
 * mobility, HIP, shim6). Never throws, whatever the bytes.
 */
export function classifyUdp(ip: Uint8Array): UdpClassification {
  if (ip.length < 1) return notUdp(NotUdpReason.TRUNCATED, 'empty packet');
  const version = ip[0]! >> 4;
  if (version === 4) return classifyIpv4(ip);
  if (version === 6) return classifyIpv6(ip);
  return notUdp(NotUdpReason.MALFORMED, `IP version ${version}`);
}

function classifyIpv4(ip: Uint8Array): UdpClassification {
  if (ip.length < 20) return notUdp(NotUdpReason.TRUNCATED, `IPv4 header needs 20 bytes, packet has ${ip.length}`);
  const headerLength = (ip[0]! & 0x0f) * 4;
  if (headerLength < 20) return notUdp(NotUdpReason.MALFORMED, `IPv4 header length ${headerLength}`);
  if (ip.length < headerLength) return notUdp(NotUdpReason.TRUNCATED, `IPv4 header of ${headerLength} bytes, packet has ${ip.length}`);
  const totalLength = u16(ip, 2);
  if (totalLength < headerLength) return notUdp(NotUdpReason.MALFORMED, `IPv4 total length ${totalLength} below header length ${headerLength}`);
  const protocol = ip[9]!;
  const fragment = u16(ip, 6);
  if ((fragment & 0x2000) !== 0 || (fragment & 0x1fff) !== 0) {
    return notUdp(NotUdpReason.FRAGMENT, `IPv4 fragment at offset ${(fragment & 0x1fff) * 8}`, protocol);
  }
  if (protocol !== PROTO_UDP) return notUdp(NotUdpReason.NON_UDP, `IP protocol ${protocol}`, protocol);
  return udpAt(ip, 4, headerLength, ip.subarray(12, 16), ip.subarray(16, 20), ip[8]!);
}

function classifyIpv6(ip: Uint8Array): UdpClassification {
  if (ip.length < 40) return notUdp(NotUdpReason.TRUNCATED, `IPv6 header needs 40 bytes, packet has ${ip.length}`);
  let next = ip[6]!;
  let offset = 40;
  for (let walked = 0; ; walked++) {
    if (next === PROTO_UDP) break;
    if (walked === MAX_EXTENSION_HEADERS) return notUdp(NotUdpReason.MALFORMED, `more than ${MAX_EXTENSION_HEADERS} extension headers`);
    let length: number;
    switch (next) {
      case IPV6_HOP_BY_HOP:
      case IPV6_ROUTING:
      case IPV6_DEST_OPTS:
      case IPV6_MOBILITY:
      case IPV6_HIP:
      case IPV6_SHIM6:
        if (ip.length < offset + 2) return notUdp(NotUdpReason.TRUNCATED, `extension header ${next} at ${offset}`);
        length = (ip[offset + 1]! + 1) * 8;
        break;
      case IPV6_AH:
        if (ip.length < offset + 2) return notUdp(NotUdpReason.TRUNCATED, `authentication header at ${offset}`);
        length = (ip[offset + 1]! + 2) * 4;
        break;
      case IPV6_FRAGMENT: {
        if (ip.length < offset + 8) return notUdp(NotUdpReason.TRUNCATED, `fragment header at ${offset}`);
        const field = u16(ip, offset + 2);
        // Offset 0 without "more fragments" is an atomic fragment: the whole datagram is here.
        if ((field & 0xfff8) !== 0 || (field & 0x1) !== 0) {
          return notUdp(NotUdpReason.FRAGMENT, `IPv6 fragment at offset ${field & 0xfff8}`, ip[offset]!);
        }
        length = 8;
        break;
      }
      default:
        return notUdp(NotUdpReason.NON_UDP, `next header ${next}`, next);
    }
    if (ip.length < offset + length) return notUdp(NotUdpReason.TRUNCATED, `extension header ${next} of ${length} bytes at ${offset}`);
    next = ip[offset]!;
    offset += length;
  }
  return udpAt(ip, 6, offset, ip.subarray(8, 24), ip.subarray(24, 40), ip[7]!);
}

function udpAt(ip: Uint8Array, ipVersion: 4 | 6, offset: number, srcAddress: Uint8Array, dstAddress: Uint8Array, ttl: number): UdpClassification {
  if (ip.length < offset + 8) return notUdp(NotUdpReason.TRUNCATED, `UDP header at ${offset} needs 8 bytes, ${Math.max(0, ip.length - offset)} present`, PROTO_UDP);
  const udpLength = u16(ip, offset + 4);
  if (udpLength < 8) return notUdp(NotUdpReason.MALFORMED, `UDP length ${udpLength}`, PROTO_UDP);
  const present = ip.length - offset - 8;
  const declared = udpLength - 8;
  return {
    kind: 'udp',
    ipVersion,
    srcAddress,
    dstAddress,
    srcPort: u16(ip, offset),
    dstPort: u16(ip, offset + 2),
    ipHeaderLength: offset,
    payloadOffset: offset + 8,
    udpLength,
    payloadLength: Math.min(present, declared),
    payloadTruncated: present < declared,
    ttl,
  };
}
