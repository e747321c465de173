import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUdpPacket, frameEthernet, frameLinuxSll, frameLinuxSll2 } from './build.js';
import { classifyUdp } from './classify.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { LinkType, NotIpReason } from './link-types.js';
import { writePcap } from './pcap-writer.js';
import { detectCaptureFormat, readCapture, readCapturePackets } from './read.js';
import { Blocks, concat } from './spec-blocks.test-support.js';

const text = (s: string) => new TextEncoder().encode(s);
const v4 = buildUdpPacket({ src: '192.0.2.1', dst: '192.0.2.2', srcPort: 1000, dstPort: 207, payload: 'four' });
const v6 = buildUdpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1000, dstPort: 207, payload: 'six' });

function expectError(fn: () => unknown, code: string, offset?: number): CaptureError {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof CaptureError, `expected CaptureError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (offset !== undefined) assert.equal(caught.offset, offset, caught.message);
  assert.match(caught.message, /byte offset \d+/);
  return caught;
}

test('capture read - pcap in both byte orders, micro- and nanosecond timestamps', () => {
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [false, true]) {
      const bytes = writePcap([
        { timestampNs: 1_700_000_000_123_456_789n, data: v4 },
        { timestampNs: 1_700_000_001_000_000_000n, data: v6, originalLength: 2000 },
      ], { linkType: LinkType.RAW, littleEndian, nanosecond });
      assert.equal(detectCaptureFormat(bytes), 'pcap');
      const { format, packets } = readCapture(bytes);
      assert.equal(format, 'pcap');
      assert.equal(packets.length, 2);
      assert.equal(packets[0]!.timestampNs, nanosecond ? 1_700_000_000_123_456_789n : 1_700_000_000_123_456_000n);
      assert.equal(packets[1]!.timestampNs, 1_700_000_001_000_000_000n);
      assert.deepEqual(packets[0]!.ip, v4);
      assert.equal(packets[0]!.ipVersion, 4);
      assert.deepEqual(packets[1]!.ip, v6);
      assert.equal(packets[1]!.originalLength, 2000);
      assert.deepEqual(packets.map((p) => p.index), [0, 1]);
      assert.equal(packets[1]!.fileOffset, 24 + 16 + v4.length);
    }
  }
});

test('capture read - pcap link types: Ethernet with VLANs, SLL, SLL2, raw variants, IPv4/IPv6-only', () => {
  const cases: Array<[number, Uint8Array, Uint8Array]> = [
    [LinkType.ETHERNET, frameEthernet(v4, { trailer: 12 }), v4],
    [LinkType.ETHERNET, frameEthernet(v6, { vlanIds: [100] }), v6],
    [LinkType.ETHERNET, frameEthernet(v4, { vlanIds: [1, 2] }), v4],
    [LinkType.LINUX_SLL, frameLinuxSll(v6), v6],
    [LinkType.LINUX_SLL2, frameLinuxSll2(v4), v4],
    [LinkType.RAW, v6, v6],
    [LinkType.RAW_12, v4, v4],
    [LinkType.RAW_14, v6, v6],
    [LinkType.IPV4, v4, v4],
    [LinkType.IPV6, v6, v6],
    [LinkType.NULL, concat(Uint8Array.of(2, 0, 0, 0), v4), v4],
    [LinkType.LOOP, concat(Uint8Array.of(0, 0, 0, 24), v6), v6],
  ];
  for (const [linkType, frame, ip] of cases) {
    const [packet] = readCapture(writePcap([{ timestampNs: 0n, data: frame }], { linkType })).packets;
    assert.deepEqual(packet!.ip, ip, `link type ${linkType}`);
    assert.equal(packet!.notIp, null);
    assert.equal(classifyUdp(packet!.ip!).kind, 'udp');
  }
});

test('capture read - frames without IP say why', () => {
  const arp = frameEthernet(v4);
  arp[12] = 0x08; arp[13] = 0x06;
  const cases: Array<[number, Uint8Array, string]> = [
    [LinkType.ETHERNET, arp, NotIpReason.NOT_IP],
    [LinkType.ETHERNET, frameEthernet(v4).subarray(0, 13), NotIpReason.TRUNCATED_LINK_HEADER],
    [LinkType.ETHERNET, frameEthernet(v4).subarray(0, 14), NotIpReason.TRUNCATED_LINK_HEADER],
    [LinkType.LINUX_SLL, frameLinuxSll(v4).subarray(0, 10), NotIpReason.TRUNCATED_LINK_HEADER],
    [LinkType.RAW, Uint8Array.of(0x50, 1, 2), NotIpReason.BAD_IP_VERSION],
    [LinkType.IPV4, v6, NotIpReason.BAD_IP_VERSION],
    [LinkType.RAW, new Uint8Array(0), NotIpReason.TRUNCATED_LINK_HEADER],
    [147, v4, NotIpReason.UNSUPPORTED_LINK_TYPE],
  ];
  for (const [linkType, frame, reason] of cases) {
    const [packet] = readCapture(writePcap([{ timestampNs: 0n, data: frame }], { linkType })).packets;
    assert.equal(packet!.ip, null);
    assert.equal(packet!.notIp?.reason, reason, `link type ${linkType}: ${packet!.notIp?.detail}`);
  }
});

test('capture read - pcapng: options skipped, comments read, unknown blocks ignored, both byte orders', () => {
  for (const le of [true, false]) {
    const b = new Blocks(le);
    b.shb(b.option(4, text('hand-made')), b.option(3, text('os')), b.endOfOptions())
      .block(0x40000bad, new Uint8Array(8)) // custom block
      .idb(LinkType.ETHERNET, 65535, b.option(2, text('eth0')), b.option(9, Uint8Array.of(6)), b.endOfOptions())
      .block(4, new Uint8Array(4)) // name resolution block
      .epb(0, 1_700_000_000_000_001n, frameEthernet(v4), 99, b.option(1, text('first packet')), b.option(2, Uint8Array.of(0, 0, 0, 1)), b.endOfOptions())
      .block(5, b.u32(0), new Uint8Array(8)) // interface statistics
      .epb(0, 5n, frameEthernet(v6), 100);
    const packets = [...readCapturePackets(b.bytes())];
    assert.equal(packets.length, 2);
    assert.equal(packets[0]!.comment, 'first packet');
    assert.equal(packets[0]!.timestampNs, 1_700_000_000_000_001_000n);
    assert.equal(packets[0]!.originalLength, 99);
    assert.equal(packets[0]!.snapLength, 65535);
    assert.deepEqual(packets[0]!.ip, v4);
    assert.equal(packets[1]!.comment, null);
    assert.equal(packets[1]!.timestampNs, 5000n);
    assert.deepEqual(packets[1]!.ip, v6);
  }
});

test('capture read - pcapng: several interfaces, timestamp resolutions and offsets, simple packets, sections in both byte orders', () => {
  const a = new Blocks(true);
  a.shb()
    .idb(LinkType.RAW, 0, a.option(9, Uint8Array.of(9)), a.endOfOptions())          // nanoseconds
    .idb(LinkType.LINUX_SLL, 0, a.option(9, Uint8Array.of(0x80 | 10)), a.option(14, a.i64(100n)), a.endOfOptions()) // 2^-10 s, +100 s
    .epb(1, 2048n, frameLinuxSll(v6), 0)
    .epb(0, 7n, v4, 0);
  const b = new Blocks(false);
  b.shb()
    .idb(LinkType.IPV4, 30)
    .spb(v4.length, v4.subarray(0, 30))
    .epb(0, 3n, v4, v4.length);
  const packets = [...readCapturePackets(concat(a.bytes(), b.bytes()))];
  assert.deepEqual(packets.map((p) => [p.section, p.interfaceId, p.linkType]), [
    [0, 1, LinkType.LINUX_SLL], [0, 0, LinkType.RAW], [1, 0, LinkType.IPV4], [1, 0, LinkType.IPV4],
  ]);
  assert.equal(packets[0]!.timestampNs, 2_000_000_000n + 100_000_000_000n);
  assert.equal(packets[1]!.timestampNs, 7n);
  assert.equal(packets[2]!.timestampNs, null);
  assert.equal(packets[2]!.frame.length, 30, 'simple packet capped at the snapshot length');
  assert.equal(packets[3]!.timestampNs, 3000n);
  assert.deepEqual(packets.map((p) => p.index), [0, 1, 2, 3]);
});

test('capture read - wrong magic, truncation and implausible lengths are typed errors with offsets', () => {
  expectError(() => readCapture(new Uint8Array(0)), CaptureErrorCode.TRUNCATED, 0);
  expectError(() => readCapture(text('GIF89a, not a capture')), CaptureErrorCode.BAD_MAGIC, 0);
  const pcap = writePcap([{ timestampNs: 0n, data: v4 }, { timestampNs: 0n, data: v6 }], { linkType: LinkType.RAW });
  expectError(() => readCapture(pcap.subarray(0, 20)), CaptureErrorCode.TRUNCATED);
  // A cut inside the second record: the first packet is still yielded before the error.
  const cut = pcap.subarray(0, pcap.length - 5);
  const seen: number[] = [];
  const err = expectError(() => { for (const p of readCapturePackets(cut)) seen.push(p.index); }, CaptureErrorCode.TRUNCATED);
  assert.deepEqual(seen, [0]);
  assert.equal(err.offset, 24 + 16 + v4.length + 16);
  const huge = Uint8Array.from(pcap);
  new DataView(huge.buffer).setUint32(24 + 8, 0xfffffff0, true);
  expectError(() => readCapture(huge), CaptureErrorCode.BAD_RECORD_LENGTH, 24);
});

test('capture read - malformed pcapng blocks are typed errors with offsets', () => {
  const good = new Blocks(true);
  good.shb().idb(LinkType.RAW, 0).epb(0, 0n, v4, v4.length);
  const bytes = good.bytes();
  const shbLength = 28;
  const idbLength = 20;
  const epbAt = shbLength + idbLength;

  const notMultiple = Uint8Array.from(bytes);
  new DataView(notMultiple.buffer).setUint32(epbAt + 4, 30, true);
  expectError(() => readCapture(notMultiple), CaptureErrorCode.BAD_BLOCK_LENGTH, epbAt);

  const tooSmall = Uint8Array.from(bytes);
  new DataView(tooSmall.buffer).setUint32(epbAt + 4, 8, true);
  expectError(() => readCapture(tooSmall), CaptureErrorCode.BAD_BLOCK_LENGTH, epbAt);

  const trailer = Uint8Array.from(bytes);
  new DataView(trailer.buffer).setUint32(bytes.length - 4, 12, true);
  expectError(() => readCapture(trailer), CaptureErrorCode.BAD_BLOCK_LENGTH, epbAt);

  expectError(() => readCapture(bytes.subarray(0, bytes.length - 1)), CaptureErrorCode.TRUNCATED, epbAt);
  expectError(() => readCapture(bytes.subarray(0, epbAt + 6)), CaptureErrorCode.TRUNCATED, epbAt);

  const noInterface = new Blocks(true);
  noInterface.shb().idb(LinkType.RAW, 0).epb(3, 0n, v4, v4.length);
  expectError(() => readCapture(noInterface.bytes()), CaptureErrorCode.UNKNOWN_INTERFACE, epbAt);

  const overlong = new Blocks(true);
  overlong.shb().idb(LinkType.RAW, 0).block(6, overlong.u32(0), overlong.u32(0), overlong.u32(0), overlong.u32(500), overlong.u32(500), Blocks.pad(v4));
  expectError(() => readCapture(overlong.bytes()), CaptureErrorCode.BAD_RECORD_LENGTH, epbAt);

  const badOption = new Blocks(true);
  badOption.shb().idb(LinkType.RAW, 0, concat(badOption.u16(2), badOption.u16(200), new Uint8Array(4)));
  expectError(() => readCapture(badOption.bytes()), CaptureErrorCode.BAD_OPTION, shbLength + 16);

  const badBom = Uint8Array.from(bytes);
  badBom.set([1, 2, 3, 4], 8);
  expectError(() => readCapture(badBom), CaptureErrorCode.BAD_MAGIC, 8);

  const version2 = Uint8Array.from(bytes);
  new DataView(version2.buffer).setUint16(12, 2, true);
  expectError(() => readCapture(version2), CaptureErrorCode.BAD_SECTION, 12);
});
