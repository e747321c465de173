// The two example filters of DESIGN.md, as assembly for the VM and as hand-written functions.
// Input: r1 = packet (from the IPv4 header on), r2 = its length. r0 = 0 pass, 1 drop.

export const MAGIC_TOKEN_ASM = `
  mov %r0, 1
  ldxb %r3, [%r1]
  and %r3, 0xf
  lsh %r3, 2            # IP header length
  mov %r5, %r3
  add %r5, 11           # UDP header + version + length
  jgt %r5, %r2, out
  mov %r4, %r1
  add %r4, %r3          # UDP header
  ldxh %r5, [%r4+2]
  be16 %r5
  jne %r5, 207, out     # destination port
  ldxh %r6, [%r4+9]
  be16 %r6              # token length
  jeq %r6, 0, out
  mov %r7, %r3
  add %r7, 10
  add %r7, %r6          # offset of the last token byte
  jge %r7, %r2, out
  mov %r8, %r1
  add %r8, %r7
  ldxb %r9, [%r8]
  jne %r9, 0xcf, out
  mov %r0, 0
out:
  exit
`;

export const TAIL_CHECK_ASM = `
  mov %r0, 1
  jlt %r2, 5, out
  mov %r3, %r1
  add %r3, %r2
  ldxw %r4, [%r3-5]
  jne %r4, 0x7a7a7978, out   # "xyzz"
  ldxb %r4, [%r3-1]
  jne %r4, 0x79, out         # "y"
  mov %r0, 0
out:
  exit
`;

export function magicTokenJs(packet, length) {
  if (length < 1) return 1;
  const ihl = (packet[0] & 0xf) * 4;
  if (ihl + 11 > length) return 1;
  const port = (packet[ihl + 2] << 8) | packet[ihl + 3];
  if (port !== 207) return 1;
  const tokenLength = (packet[ihl + 9] << 8) | packet[ihl + 10];
  if (tokenLength === 0) return 1;
  const last = ihl + 10 + tokenLength;
  if (last >= length) return 1;
  return packet[last] === 0xcf ? 0 : 1;
}

export function tailCheckJs(packet, length) {
  if (length < 5) return 1;
  return packet[length - 5] === 0x78 && packet[length - 4] === 0x79 && packet[length - 3] === 0x7a && packet[length - 2] === 0x7a && packet[length - 1] === 0x79 ? 0 : 1;
}

/** IPv4 + UDP packets: a valid token, a wrong port, a wrong last byte, a short packet, a tail match. */
export function samplePackets() {
  const build = (dstPort, payload) => {
    const p = new Uint8Array(28 + payload.length);
    p[0] = 0x45;
    p[9] = 17;
    p[22] = dstPort >> 8;
    p[23] = dstPort & 0xff;
    p.set(payload, 28);
    return p;
  };
  const token = (bytes) => Uint8Array.of(1, 0, bytes.length, ...bytes);
  return [
    build(207, token([1, 2, 3, 0xcf])),
    build(207, token([9, 9, 9, 9, 9, 9, 0xcf])),
    build(208, token([1, 2, 3, 0xcf])),
    build(207, token([1, 2, 3, 0xce])),
    build(207, Uint8Array.of(1)),
    build(9999, new TextEncoder().encode('hello xyzzy')),
  ];
}
