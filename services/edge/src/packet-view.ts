import { ipToBytes16 } from '@flowshield/proto';

/*
 * A socket sees addresses, ports and the payload, not the IP and UDP headers the program expects.
 * The edge writes them as the packet would have arrived:
 *   IPv4: version 4, IHL 5 (no options), DSCP/ECN 0, total length, identification 0, DF set,
 *         fragment offset 0, TTL 64, protocol 17, header checksum computed, addresses.
 *   IPv6: version 6, traffic class 0, flow label 0, payload length, next header 17, hop limit 64,
 *         addresses; no extension headers.
 *   UDP:  ports, length = 8 + payload, checksum 0 (the kernel already verified it; programs that
 *         read it see 0).
 * TTL/hop limit, DSCP and IPv4 identification are not visible to a socket: programs must not key
 * decisions on them at the edge (they are meaningful in `flowshield test` captures only).
 */

export const SYNTHETIC_TTL = 64;
const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const UDP_HEADER = 8;

export interface Address16 {
  /** 16 bytes, IPv4 mapped into IPv6 */
  bytes: Uint8Array;
  v4: boolean;
}

/** A socket's address string in the 16-byte form events and programs use (IPv4 mapped). */
export function address16(text: string): Address16 {
  const bytes = ipToBytes16(text);
  // Mapped IPv4 (a dual-stack socket's "::ffff:a.b.c.d" too) is an IPv4 client.
  const v4 = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return { bytes, v4 };
}

function checksum(buf: Uint8Array, start: number, length: number): number {
  let sum = 0;
  for (let i = start; i < start + length; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Bytes of IP + UDP header in front of the payload for this family. */
export function headerLength(v4: boolean): number {
  return (v4 ? IPV4_HEADER : IPV6_HEADER) + UDP_HEADER;
}

/**
 * Writes the IP and UDP headers and the payload into `out` (at least 48 + payload bytes) and
 * returns the view of the packet. Both addresses must be of the same family.
 */
export function writePacket(out: Uint8Array, src: Address16, srcPort: number, dst: Address16, dstPort: number, payload: Uint8Array): Uint8Array {
  const at = headerLength(src.v4);
  out.set(payload, at);
  return writeHeaders(out, at, payload.length, src, srcPort, dst, dstPort);
}

/**
 * Writes the IP and UDP headers in place, ending at `payloadAt` where the payload already is (a
 * datagram received into a slot with headroom), and returns the view of the whole packet: no copy
 * of the payload. `payloadAt` must be at least headerLength(src.v4).
 */
export function writeHeaders(buf: Uint8Array, payloadAt: number, payloadLength: number, src: Address16, srcPort: number, dst: Address16, dstPort: number): Uint8Array {
  const ipHeader = src.v4 ? IPV4_HEADER : IPV6_HEADER;
  const start = payloadAt - ipHeader - UDP_HEADER;
  const out = start === 0 ? buf : buf.subarray(start);
  const total = ipHeader + UDP_HEADER + payloadLength;
  if (src.v4) {
    out[0] = 0x45;
    out[1] = 0;
    out[2] = total >> 8;
    out[3] = total & 0xff;
    out[4] = 0;
    out[5] = 0;
    out[6] = 0x40; // DF
    out[7] = 0;
    out[8] = SYNTHETIC_TTL;
    out[9] = 17;
    out[10] = 0;
    out[11] = 0;
    out.set(src.bytes.subarray(12), 12);
    out.set(dst.bytes.subarray(12), 16);
    const sum = checksum(out, 0, IPV4_HEADER);
    out[10] = sum >> 8;
    out[11] = sum & 0xff;
  } else {
    out[0] = 0x60;
    out[1] = 0;
    out[2] = 0;
    out[3] = 0;
    const length = UDP_HEADER + payloadLength;
    out[4] = length >> 8;
    out[5] = length & 0xff;
    out[6] = 17;
    out[7] = SYNTHETIC_TTL;
    out.set(src.bytes, 8);
    out.set(dst.bytes, 24);
  }
  const udp = ipHeader;
  const udpLength = UDP_HEADER + payloadLength;
  out[udp] = srcPort >> 8;
  out[udp + 1] = srcPort & 0xff;
  out[udp + 2] = dstPort >> 8;
  out[udp + 3] = dstPort & 0xff;
  out[udp + 4] = udpLength >> 8;
  out[udp + 5] = udpLength & 0xff;
  out[udp + 6] = 0;
  out[udp + 7] = 0;
  return out.subarray(0, total);
}
