/*
 * The scheme: every field and function an expression may name, with its type, declared before
 * any expression is parsed (wirefilter's Scheme). An unknown name or a type mismatch is an error
 * at parse time, never at run time.
 */

export type ValueType = 'int' | 'ip' | 'bytes' | 'bool';

/** Where a field's value lives in a PacketView: an index into `ints`, an address, or a byte range. */
export const IntSlot = {
  PROTO: 0,
  LEN: 1,
  TTL: 2,
  HDR_LEN: 3,
  SRC_PORT: 4,
  DST_PORT: 5,
  UDP_LENGTH: 6,
  /** IPv4 source and destination as unsigned 32-bit numbers (0 on IPv6) */
  SRC4: 7,
  DST4: 8,
} as const;
export const INT_SLOTS = 9;

/** Byte ranges of the packet: from the IP header on, from the UDP header on, the UDP payload. */
export const ByteBase = { IP: 0, UDP: 1, PAYLOAD: 2 } as const;
export type ByteBase = (typeof ByteBase)[keyof typeof ByteBase];

export type FieldDef =
  | { readonly name: string; readonly type: 'int'; readonly slot: number; readonly doc: string; readonly names?: Readonly<Record<string, number>> }
  | { readonly name: string; readonly type: 'ip'; readonly which: 'src' | 'dst'; readonly doc: string }
  | { readonly name: string; readonly type: 'bytes'; readonly base: ByteBase; readonly doc: string };

/** IANA protocol numbers by the names `ip.proto` accepts (lower case, as Cloudflare writes them). */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  hopopt: 0, icmp: 1, igmp: 2, ipip: 4, tcp: 6, egp: 8, udp: 17, ipv6: 41, 'ipv6-route': 43, 'ipv6-frag': 44,
  rsvp: 46, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  ospf: 89, pim: 103, vrrp: 112, l2tp: 115, sctp: 132, udplite: 136, mpls: 137,
};

const FIELD_LIST: readonly FieldDef[] = [
  { name: 'ip.src', type: 'ip', which: 'src', doc: 'source address (IPv4 or IPv6)' },
  { name: 'ip.dst', type: 'ip', which: 'dst', doc: 'destination address (IPv4 or IPv6)' },
  { name: 'ip.proto', type: 'int', slot: IntSlot.PROTO, names: PROTOCOL_NUMBERS, doc: 'transport protocol: IPv4 protocol, IPv6 last next header; a number or a name ("udp")' },
  { name: 'ip.len', type: 'int', slot: IntSlot.LEN, doc: 'IPv4 total length; IPv6 40 + payload length' },
  { name: 'ip.ttl', type: 'int', slot: IntSlot.TTL, doc: 'IPv4 TTL; IPv6 hop limit' },
  { name: 'ip.hdr_len', type: 'int', slot: IntSlot.HDR_LEN, doc: 'bytes before the UDP header: IPv4 IHL × 4; IPv6 40 + extension headers' },
  { name: 'udp.srcport', type: 'int', slot: IntSlot.SRC_PORT, doc: 'UDP source port' },
  { name: 'udp.dstport', type: 'int', slot: IntSlot.DST_PORT, doc: 'UDP destination port' },
  { name: 'udp.length', type: 'int', slot: IntSlot.UDP_LENGTH, doc: 'UDP length field (header + payload)' },
  { name: 'ip', type: 'bytes', base: ByteBase.IP, doc: 'the packet from its IP header on' },
  { name: 'udp', type: 'bytes', base: ByteBase.UDP, doc: 'the UDP header and payload' },
  { name: 'udp.payload', type: 'bytes', base: ByteBase.PAYLOAD, doc: 'the UDP payload' },
];

export const FIELDS: ReadonlyMap<string, FieldDef> = new Map(FIELD_LIST.map((f) => [f.name, f]));

/** Functions: `bit_slice(base, start_bit, end_bit)` → int, `bpf(name)` → bool; arguments are literals. */
export const FUNCTIONS = {
  bit_slice: { returns: 'int', doc: 'bits [start, end) of the "ip" or "udp" header on, big-endian, at most 32 bits, end at most 2040' },
  bpf: { returns: 'bool', doc: 'runs the named socket-filter program over the packet; nonzero is a match' },
} as const;
export type FunctionName = keyof typeof FUNCTIONS;

/** Magic Firewall's limits on bit_slice. */
export const BIT_SLICE_MAX_WIDTH = 32;
export const BIT_SLICE_MAX_OFFSET = 2040;
