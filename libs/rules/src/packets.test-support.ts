import { parseIpv4, parseIpv6 } from './ip.js';

/** Test packets: an IPv4 or IPv6 header (IPv6 optionally with a hop-by-hop header), UDP, payload. */
export interface TestPacket {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
  payload?: Uint8Array | string;
  /** IPv4 options bytes (a multiple of 4) */
  options?: number;
  /** IPv6: put an 8-byte hop-by-hop header before UDP */
  hopByHop?: boolean;
}

export function udpPacket(t: TestPacket): Uint8Array {
  const payload = typeof t.payload === 'string' ? new TextEncoder().encode(t.payload) : t.payload ?? new Uint8Array(0);
  const v4 = parseIpv4(t.src);
  const udpLen = 8 + payload.length;
  let ip: Uint8Array;
  if (v4 !== null) {
    const opts = t.options ?? 0;
    const hdr = 20 + opts;
    ip = new Uint8Array(hdr + udpLen);
    const v = new DataView(ip.buffer);
    ip[0] = 0x40 | (hdr / 4);
    v.setUint16(2, ip.length);
    ip[8] = t.ttl ?? 64;
    ip[9] = 17;
    v.setUint32(12, v4);
    v.setUint32(16, parseIpv4(t.dst)!);
    for (let i = 20; i < hdr; i++) ip[i] = 1; // NOP options
  } else {
    const ext = t.hopByHop ? 8 : 0;
    ip = new Uint8Array(40 + ext + udpLen);
    const v = new DataView(ip.buffer);
    ip[0] = 0x60;
    v.setUint16(4, ext + udpLen);
    ip[6] = t.hopByHop ? 0 : 17;
    ip[7] = t.ttl ?? 64;
    parseIpv6(t.src)!.forEach((w, i) => v.setUint32(8 + i * 4, w));
    parseIpv6(t.dst)!.forEach((w, i) => v.setUint32(24 + i * 4, w));
    if (t.hopByHop) { ip[40] = 17; ip[41] = 0; ip[42] = 1; ip[43] = 4; }
  }
  const u = ip.length - udpLen;
  const v = new DataView(ip.buffer);
  v.setUint16(u, t.srcPort ?? 40000);
  v.setUint16(u + 2, t.dstPort ?? 27015);
  v.setUint16(u + 4, udpLen);
  ip.set(payload, u + 8);
  return ip;
}
