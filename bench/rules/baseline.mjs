// The hand-written baseline for bench/rules/run.mjs: what an engineer would write in plain JS
// for the same 200 rules (five kinds, 40 parameter sets each, in the same order as the rules
// file): decode the header fields once from the bytes, then test each rule with direct reads,
// record the matches and the first deciding rule. No closures, no tables of functions.

/**
 * @param {Uint8Array} b packet bytes from the IP header on
 * @param {number} len its length
 * @param {{ports: Int32Array, lo: Int32Array, hi: Int32Array, nets: Uint32Array, masks: Uint32Array, magic: Uint8Array[], ttls: Int32Array, bits: Int32Array}} P
 * @param {Int32Array} matched out: rule indexes
 * @returns {{decided: number, count: number}}
 */
export function handWritten(b, len, P, matched, out) {
  const v = b[0] >> 4;
  if (v !== 4 || len < 28 || b[9] !== 17) { out.count = 0; out.decided = -1; return; }
  const hdr = (b[0] & 15) * 4;
  const src = ((b[12] << 24) | (b[13] << 16) | (b[14] << 8) | b[15]) >>> 0;
  const ttl = b[8];
  const dport = (b[hdr + 2] << 8) | b[hdr + 3];
  const udpLen = (b[hdr + 4] << 8) | b[hdr + 5];
  const pay = hdr + 8;
  const payEnd = Math.min(hdr + udpLen, len);
  let n = 0;
  let decided = -1;
  for (let k = 0; k < 40; k++) {
    const base = k * 5;
    // kind 0: udp.dstport == P (block)
    if (dport === P.ports[k]) { matched[n++] = base; if (decided < 0) decided = base; }
    // kind 1: udp.dstport in {lo..hi} and ip.ttl < T (log)
    if (dport >= P.lo[k] && dport <= P.hi[k] && ttl < P.ttls[k]) matched[n++] = base + 1;
    // kind 2: ip.src in {net/24} (block)
    if (((src & P.masks[k]) >>> 0) === P.nets[k]) { matched[n++] = base + 2; if (decided < 0) decided = base + 2; }
    // kind 3: udp.payload[0:4] == magic (allow)
    const m = P.magic[k];
    if (pay + 4 <= payEnd && b[pay] === m[0] && b[pay + 1] === m[1] && b[pay + 2] === m[2] && b[pay + 3] === m[3]) {
      matched[n++] = base + 3;
      if (decided < 0) decided = base + 3;
    }
    // kind 4: bit_slice("udp", 64, 72) == B and udp.length > 20 (skip, monitoring: never decides)
    if (pay < payEnd && b[pay] === P.bits[k] && udpLen > 20) matched[n++] = base + 4;
  }
  out.count = n;
  out.decided = decided;
}
