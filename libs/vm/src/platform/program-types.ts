import { FLOWSHIELD_HELPERS } from '../abi/flowshield-helpers.js';
import { LINUX_HELPERS } from '../abi/linux-helpers.js';
import { PFP_HELPERS, type HelperSpec } from '../abi/pfp-helpers.js';
import type { ContextLayout } from './types.js';
import { putU64 } from '../interpreter/int64.js';

export type Verdict = 'pass' | 'drop' | 'error';

/** The bytes the PFP ABI puts in front of the packet: u64 total_packet_length, u64 ip_header_length. */
export const PFP_HEADER_BYTES = 16;
export const PFP_PACKET_BYTES = 1500;
/** sizeof(struct cf_ebpf_packet_data): 1516 bytes padded to 8-byte alignment; data_end = data + this. */
export const PFP_DATA_BYTES = 1520;
/** The largest IP packet a UDP datagram arrives in; xdp and socket programs see it whole. */
export const MAX_IP_PACKET = 65535;

export interface PacketLayout {
  ctxAddress: number;
  packetAddress: number;
  ipHeaderLength: number;
  packetLength: number;
}

/**
 * A program type, chosen by section name: its context layout, helper table, how a packet is
 * laid out for it, and what its return value means.
 */
export interface ProgramType {
  readonly name: 'cf_ebpf_generic' | 'flowshield' | 'xdp' | 'socket';
  readonly context: ContextLayout;
  readonly helpers: readonly HelperSpec[];
  /** bytes of the region the packet is written into */
  readonly packetRegionBytes: number;
  /** the largest IP packet this type can be given */
  readonly maxPacket: number;
  /** Writes the context and the packet for one run into their regions; returns bytes written to the packet region. */
  fill(ctx: DataView, packetRegion: Uint8Array, ip: Uint8Array, layout: PacketLayout): number;
  verdict(lo: number, hi: number): Verdict;
}

/** PFP gives the program `metadata` to write ("space for the program to store metadata"); zeroed for every packet. */
const pfpContext: ContextLayout = {
  size: 24,
  writable: true,
  fields: [
    { name: 'data', offset: 0, size: 8, kind: 'region', region: 'packet' },
    { name: 'data_end', offset: 8, size: 8, kind: 'region-end', region: 'packet' },
    { name: 'metadata', offset: 16, size: 8, kind: 'scalar' },
  ],
};

/** A u64 below 2^53, little-endian, as two 32-bit halves (no BigInt per packet). */
function setU64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
}

function fillPfp(ctx: DataView, region: Uint8Array, ip: Uint8Array, layout: PacketLayout): number {
  setU64(ctx, 0, layout.packetAddress);
  setU64(ctx, 8, layout.packetAddress + PFP_DATA_BYTES);
  setU64(ctx, 16, 0);
  putU64(region, 0, ip.length);
  putU64(region, 8, layout.ipHeaderLength);
  region.set(ip, PFP_HEADER_BYTES);
  return PFP_HEADER_BYTES + ip.length;
}

const pfpVerdict = (lo: number, hi: number): Verdict => (hi !== 0 ? 'error' : lo === 0 ? 'pass' : lo === 1 ? 'drop' : 'error');

export const CF_EBPF_GENERIC: ProgramType = {
  name: 'cf_ebpf_generic',
  context: pfpContext,
  helpers: PFP_HELPERS,
  packetRegionBytes: PFP_DATA_BYTES,
  maxPacket: PFP_PACKET_BYTES,
  fill: fillPfp,
  verdict: pfpVerdict,
};

export const FLOWSHIELD: ProgramType = {
  ...CF_EBPF_GENERIC,
  name: 'flowshield',
  helpers: [...PFP_HELPERS, ...FLOWSHIELD_HELPERS],
};

/** The Ethernet header XDP programs expect in front of the IP packet (addresses zero). */
export const XDP_ETHERNET_BYTES = 14;

/** xdp_md: 32-bit pointers, as Linux presents them to the program, over an Ethernet frame. */
export const XDP: ProgramType = {
  name: 'xdp',
  context: {
    size: 24,
    writable: false,
    fields: [
      { name: 'data', offset: 0, size: 4, kind: 'packet', region: 'packet' },
      { name: 'data_end', offset: 4, size: 4, kind: 'packet-end', region: 'packet' },
      { name: 'data_meta', offset: 8, size: 4, kind: 'scalar' },
      { name: 'ingress_ifindex', offset: 12, size: 4, kind: 'scalar' },
      { name: 'rx_queue_index', offset: 16, size: 4, kind: 'scalar' },
      { name: 'egress_ifindex', offset: 20, size: 4, kind: 'scalar' },
    ],
  },
  helpers: LINUX_HELPERS.filter((h) => h.id !== 26),
  packetRegionBytes: MAX_IP_PACKET + XDP_ETHERNET_BYTES,
  maxPacket: MAX_IP_PACKET,
  fill(ctx, region, ip, layout) {
    const frameLength = XDP_ETHERNET_BYTES + ip.length;
    ctx.setUint32(0, layout.packetAddress, true);
    ctx.setUint32(4, layout.packetAddress + frameLength, true);
    ctx.setUint32(8, layout.packetAddress, true);
    region.fill(0, 0, 12);
    region[12] = (ip[0]! >> 4) === 6 ? 0x86 : 0x08;
    region[13] = (ip[0]! >> 4) === 6 ? 0xdd : 0x00;
    region.set(ip, XDP_ETHERNET_BYTES);
    return frameLength;
  },
  // XDP_ABORTED 0, XDP_DROP 1, XDP_PASS 2, XDP_TX 3 and XDP_REDIRECT 4 (no other interface here: dropped).
  verdict: (lo, hi) => (hi !== 0 || lo === 0 || lo > 4 ? 'error' : lo === 2 ? 'pass' : 'drop'),
};

const skbFields: [string, number][] = [
  ['len', 0], ['pkt_type', 4], ['mark', 8], ['queue_mapping', 12], ['protocol', 16], ['vlan_present', 20], ['vlan_tci', 24],
  ['vlan_proto', 28], ['priority', 32], ['ingress_ifindex', 36], ['ifindex', 40], ['tc_index', 44], ['cb0', 48], ['cb1', 52],
  ['cb2', 56], ['cb3', 60], ['cb4', 64], ['hash', 68], ['tc_classid', 72], ['napi_id', 84], ['family', 88],
  ['remote_ip4', 92], ['local_ip4', 96], ['remote_port', 132], ['local_port', 136],
];

/** A Linux socket filter (`struct __sk_buff`, packet from the IP header) used as a match: 0 = no. */
export const SOCKET: ProgramType = {
  name: 'socket',
  context: {
    size: 144,
    writable: false,
    fields: [
      ...skbFields.map(([name, offset]) => ({ name, offset, size: 4 as const, kind: 'scalar' as const })),
      ...[0, 1, 2, 3].flatMap((i) => [
        { name: `remote_ip6_${i}`, offset: 100 + 4 * i, size: 4 as const, kind: 'scalar' as const },
        { name: `local_ip6_${i}`, offset: 116 + 4 * i, size: 4 as const, kind: 'scalar' as const },
      ]),
      { name: 'data', offset: 76, size: 4, kind: 'packet', region: 'packet' },
      { name: 'data_end', offset: 80, size: 4, kind: 'packet-end', region: 'packet' },
      { name: 'data_meta', offset: 140, size: 4, kind: 'scalar' },
    ],
  },
  helpers: LINUX_HELPERS,
  packetRegionBytes: MAX_IP_PACKET,
  maxPacket: MAX_IP_PACKET,
  fill(ctx, region, ip, layout) {
    for (let i = 0; i < 144; i += 4) ctx.setUint32(i, 0, true);
    ctx.setUint32(0, ip.length, true);
    const v6 = (ip[0]! >> 4) === 6;
    ctx.setUint32(16, v6 ? 0xdd86 : 0x0008, true); // ETH_P_IPV6 / ETH_P_IP in network order, as Linux stores it
    ctx.setUint32(88, v6 ? 10 : 2, true); // AF_INET6 / AF_INET
    ctx.setUint32(76, layout.packetAddress, true);
    ctx.setUint32(80, layout.packetAddress + ip.length, true);
    ctx.setUint32(140, layout.packetAddress, true);
    region.set(ip, 0);
    return ip.length;
  },
  verdict: (lo, hi) => (lo === 0 && hi === 0 ? 'drop' : 'pass'),
};

export const PROGRAM_TYPES = { cf_ebpf_generic: CF_EBPF_GENERIC, flowshield: FLOWSHIELD, xdp: XDP, socket: SOCKET } as const;
export type ProgramTypeName = keyof typeof PROGRAM_TYPES;

/** The type a section name selects: `xdp`, `xdp/…`, `socket`, `socket/…`, `flowshield…`; anything else is PFP's generic type. */
export function programTypeForSection(section: string): ProgramType {
  const base = section.split(/[/.]/)[0]!;
  if (base === 'xdp') return XDP;
  if (base === 'socket' || base === 'socket_filter') return SOCKET;
  if (base === 'flowshield') return FLOWSHIELD;
  return CF_EBPF_GENERIC;
}
