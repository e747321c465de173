/**
 * Link-layer header types (the LINKTYPE_* registry used by pcap and pcapng) that the reader can
 * turn into IP packets, and the step that strips the link header.
 */
export const LinkType = {
  /** BSD loopback: 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  /** Ethernet II, with 802.1Q / 802.1ad VLAN tags. */
  ETHERNET: 1,
  /** Raw IP as DLT_RAW is numbered on some platforms (OpenBSD uses 14). */
  RAW_12: 12,
  RAW_14: 14,
  /** Raw IP: the frame is the IP packet (version from its first nibble). */
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family, network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 (16-byte header). */
  LINUX_SLL: 113,
  /** Raw IPv4 only. */
  IPV4: 228,
  /** Raw IPv6 only. */
  IPV6: 229,
  /** Linux cooked capture v2 (20-byte header). */
  LINUX_SLL2: 276,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const MAX_VLAN_TAGS = 8;

/** Why a captured frame yields no IP packet. */
export const NotIpReason = {
  /** The link type is not one of LinkType. */
  UNSUPPORTED_LINK_TYPE: 'unsupported-link-type',
  /** The link header says another protocol (ARP, LLDP, ...). */
  NOT_IP: 'not-ip',
  /** The frame ends inside the link header, or before the first IP byte. */
  TRUNCATED_LINK_HEADER: 'truncated-link-header',
  /** The first nibble is neither 4 nor 6, or disagrees with the link type / EtherType. */
  BAD_IP_VERSION: 'bad-ip-version',
} as const;
export type NotIpReason = (typeof NotIpReason)[keyof typeof NotIpReason];

export type IpExtraction =
  | { readonly ok: true; readonly ipVersion: 4 | 6; readonly offset: number; readonly ip: Uint8Array }
  | { readonly ok: false; readonly reason: NotIpReason; readonly detail: string };

function notIp(reason: NotIpReason, detail: string): IpExtraction {
  return { ok: false, reason, detail };
}

/**
 * Finds the IP packet in a frame of the given link type. The result is a view (no copy) that
 * starts at the IP header and is trimmed to the length the IP header declares, so Ethernet
 * padding and trailers are not mistaken for payload; a packet cut short by the snapshot length
 * keeps whatever was captured. Never throws.
 */
export function extractIp(linkType: number, frame: Uint8Array): IpExtraction {
  switch (linkType) {
    case LinkType.ETHERNET:
      return fromEthernet(frame);
    case LinkType.RAW:
    case LinkType.RAW_12:
    case LinkType.RAW_14:
      return fromRaw(frame, 0, null);
    case LinkType.IPV4:
      return fromRaw(frame, 0, 4);
    case LinkType.IPV6:
      return fromRaw(frame, 0, 6);
    case LinkType.LINUX_SLL:
      return fromEtherType(frame, 16, 14, 'Linux cooked (SLL) header');
    case LinkType.LINUX_SLL2:
      return fromEtherType(frame, 20, 0, 'Linux cooked v2 (SLL2) header');
    case LinkType.NULL:
    case LinkType.LOOP:
      return fromLoopback(frame, linkType === LinkType.LOOP);
    default:
      return notIp(NotIpReason.UNSUPPORTED_LINK_TYPE, `link type ${linkType} is not supported`);
  }
}

function fromEthernet(frame: Uint8Array): IpExtraction {
  let offset = 12;
  for (let tags = 0; ; tags++) {
    if (frame.length < offset + 2) return notIp(NotIpReason.TRUNCATED_LINK_HEADER, 'frame ends inside the Ethernet header');
    const etherType = (frame[offset]! << 8) | frame[offset + 1]!;
    if (etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_OLD) {
      if (tags === MAX_VLAN_TAGS) return notIp(NotIpReason.NOT_IP, `more than ${MAX_VLAN_TAGS} VLAN tags`);
      offset += 4;
      continue;
    }
    return ipForEtherType(frame, offset + 2, etherType);
  }
}

function fromEtherType(frame: Uint8Array, headerLength: number, protocolOffset: number, what: string): IpExtraction {
  if (frame.length < headerLength) return notIp(NotIpReason.TRUNCATED_LINK_HEADER, `frame ends inside the ${what}`);
  const protocol = (frame[protocolOffset]! << 8) | frame[protocolOffset + 1]!;
  return ipForEtherType(frame, headerLength, protocol);
}

function ipForEtherType(frame: Uint8Array, offset: number, etherType: number): IpExtraction {
  if (etherType === ETHERTYPE_IPV4) return fromRaw(frame, offset, 4);
  if (etherType === ETHERTYPE_IPV6) return fromRaw(frame, offset, 6);
  return notIp(NotIpReason.NOT_IP, `EtherType 0x${etherType.toString(16).padStart(4, '0')}`);
}

function fromLoopback(frame: Uint8Array, networkOrder: boolean): IpExtraction {
  if (frame.length < 4) return notIp(NotIpReason.TRUNCATED_LINK_HEADER, 'frame ends inside the loopback header');
  const be = ((frame[0]! << 24) | (frame[1]! << 16) | (frame[2]! << 8) | frame[3]!) >>> 0;
  const le = ((frame[3]! << 24) | (frame[2]! << 16) | (frame[1]! << 8) | frame[0]!) >>> 0;
  // DLT_NULL's family is in the capturing host's byte order, which the file does not record.
  const families = networkOrder ? [be] : [be, le];
  if (families.includes(2)) return fromRaw(frame, 4, 4);
  // AF_INET6 differs between BSDs (24, 28, 30) and Linux (10).
  if (families.some((f) => f === 24 || f === 28 || f === 30 || f === 10)) return fromRaw(frame, 4, 6);
  return notIp(NotIpReason.NOT_IP, `loopback address family ${networkOrder ? be : le}`);
}

function fromRaw(frame: Uint8Array, offset: number, expected: 4 | 6 | null): IpExtraction {
  if (frame.length <= offset) return notIp(NotIpReason.TRUNCATED_LINK_HEADER, 'no IP header after the link header');
  const version = frame[offset]! >> 4;
  if (version !== 4 && version !== 6) return notIp(NotIpReason.BAD_IP_VERSION, `IP version ${version}`);
  if (expected !== null && version !== expected) {
    return notIp(NotIpReason.BAD_IP_VERSION, `IP version ${version} where the link layer says IPv${expected}`);
  }
  const available = frame.length - offset;
  const declared = declaredIpLength(frame, offset, version);
  const length = declared !== null && declared <= available ? declared : available;
  return { ok: true, ipVersion: version, offset, ip: frame.subarray(offset, offset + length) };
}

/** The packet length the IP header declares, or null when it cannot be trusted or read. */
function declaredIpLength(frame: Uint8Array, offset: number, version: 4 | 6): number | null {
  if (version === 4) {
    if (frame.length < offset + 4) return null;
    const total = (frame[offset + 2]! << 8) | frame[offset + 3]!;
    const headerLength = (frame[offset]! & 0x0f) * 4;
    return total >= headerLength && total >= 20 ? total : null;
  }
  if (frame.length < offset + 6) return null;
  const payload = (frame[offset + 4]! << 8) | frame[offset + 5]!;
  // Payload length 0 means a jumbogram (hop-by-hop option carries the length): keep everything.
  return payload === 0 ? null : 40 + payload;
}
