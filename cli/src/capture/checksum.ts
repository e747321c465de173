/** Sum of 16-bit big-endian words (odd trailing byte padded with zero), not yet folded. */
function sumWords(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even !== bytes.length) sum += bytes[even]! << 8;
  return sum;
}

function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** RFC 1071 Internet checksum of the concatenated parts (as one stream of 16-bit words). */
export function internetChecksum(...parts: Uint8Array[]): number {
  // Parts are concatenated first so that an odd-length part does not shift the word alignment.
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { joined.set(p, at); at += p.length; }
  return ~fold(sumWords(joined)) & 0xffff;
}

/**
 * UDP checksum over the pseudo-header (RFC 768 for IPv4, RFC 8200 section 8.1 for IPv6) and the UDP
 * header + payload (with the checksum field as given). A computed 0 is sent as 0xffff.
 */
export function udpChecksum(src: Uint8Array, dst: Uint8Array, udp: Uint8Array): number {
  const pseudo = src.length === 4 ? new Uint8Array(12) : new Uint8Array(40);
  pseudo.set(src, 0);
  pseudo.set(dst, src.length);
  const view = new DataView(pseudo.buffer);
  if (src.length === 4) {
    view.setUint8(9, 17);
    view.setUint16(10, udp.length);
  } else {
    view.setUint32(32, udp.length);
    view.setUint8(39, 17);
  }
  const sum = internetChecksum(pseudo, udp);
  return sum === 0 ? 0xffff : sum;
}
