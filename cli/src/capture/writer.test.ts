import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildUdpPacket, frameEthernet } from './build.js';
import { LinkType } from './link-types.js';
import { writePcap } from './pcap-writer.js';
import { PcapngWriter, writeAnnotatedPcapng } from './pcapng-writer.js';
import { readCapture, readCaptureRecords } from './read.js';
import { Blocks } from './spec-blocks.test-support.js';
import { CaptureError, CaptureErrorCode } from './errors.js';

const text = (s: string) => new TextEncoder().encode(s);
const ip = buildUdpPacket({ src: '198.51.100.1', dst: '203.0.113.5', srcPort: 5000, dstPort: 207, payload: 'token' });

test('capture write - pcapng blocks have the byte layout of the specification, in both byte orders', () => {
  for (const littleEndian of [true, false]) {
    const writer = new PcapngWriter({ littleEndian, userApplication: 'flowshield test' });
    const id = writer.addInterface({ linkType: LinkType.ETHERNET, snapLength: 65535 });
    writer.addPacket({ interfaceId: id, timestampNs: 1_700_000_000_123_456_789n, data: frameEthernet(ip), comment: 'verdict=pass' });
    writer.addPacket({ interfaceId: id, timestampNs: 42n, data: Uint8Array.of(1, 2, 3), originalLength: 1500 });

    const b = new Blocks(littleEndian);
    b.shb(b.option(4, text('flowshield test')), b.endOfOptions())
      .idb(LinkType.ETHERNET, 65535, b.option(9, Uint8Array.of(9)), b.endOfOptions())
      .epb(0, 1_700_000_000_123_456_789n, frameEthernet(ip), frameEthernet(ip).length, b.option(1, text('verdict=pass')), b.endOfOptions())
      .epb(0, 42n, Uint8Array.of(1, 2, 3), 1500);
    assert.deepEqual(writer.toBytes(), b.bytes());
  }
});

test('capture write - pcapng round trip keeps frames, timestamps, lengths, comments and interfaces', () => {
  const frame = fc.uint8Array({ maxLength: 200 });
  const packet = fc.record({
    interface: fc.nat({ max: 2 }),
    timestampNs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    data: frame,
    extra: fc.nat({ max: 1000 }),
    comment: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  });
  fc.assert(fc.property(fc.boolean(), fc.array(packet, { maxLength: 20 }), (littleEndian, packets) => {
    const writer = new PcapngWriter({ littleEndian });
    const linkTypes = [LinkType.RAW, LinkType.ETHERNET, LinkType.LINUX_SLL2];
    for (const linkType of linkTypes) writer.addInterface({ linkType });
    for (const p of packets) {
      writer.addPacket({ interfaceId: p.interface, timestampNs: p.timestampNs, data: p.data, originalLength: p.data.length + p.extra, comment: p.comment });
    }
    const records = [...readCaptureRecords(writer.toBytes())];
    assert.equal(records.length, packets.length);
    records.forEach((r, i) => {
      const p = packets[i]!;
      assert.equal(r.interfaceId, p.interface);
      assert.equal(r.linkType, linkTypes[p.interface]);
      assert.equal(r.timestampNs, p.timestampNs);
      assert.deepEqual(r.frame, p.data);
      assert.equal(r.originalLength, p.data.length + p.extra);
      assert.equal(r.comment, p.comment === null ? null : p.comment.replace(/\0+$/, ''));
    });
  }), { numRuns: 200 });
});

test('capture write - pcap round trip in both byte orders and resolutions', () => {
  fc.assert(fc.property(fc.boolean(), fc.boolean(), fc.array(fc.record({ ts: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n }), data: fc.uint8Array({ maxLength: 100 }) }), { maxLength: 10 }),
    (littleEndian, nanosecond, packets) => {
      const bytes = writePcap(packets.map((p) => ({ timestampNs: p.ts, data: p.data })), { linkType: LinkType.RAW, littleEndian, nanosecond });
      const read = readCapture(bytes).packets;
      assert.equal(read.length, packets.length);
      read.forEach((r, i) => {
        const expected = nanosecond ? packets[i]!.ts : (packets[i]!.ts / 1000n) * 1000n;
        assert.equal(r.timestampNs, expected);
        assert.deepEqual(r.frame, packets[i]!.data);
      });
    }), { numRuns: 100 });
});

test('capture write - annotated pcapng from a pcap keeps every frame and adds one comment per packet', () => {
  const frames = [frameEthernet(ip), frameEthernet(ip, { vlanIds: [7] }), Uint8Array.of(0xff, 0xff)];
  const pcap = writePcap(frames.map((data, i) => ({ timestampNs: BigInt(i) * 1_000_000n, data })), { linkType: LinkType.ETHERNET, snapLength: 9000 });
  const annotated = writeAnnotatedPcapng([...readCaptureRecords(pcap)].map((record, i) => ({ record, comment: `packet ${i}: ${i === 2 ? 'ignored' : 'pass'}` })));
  const { format, packets } = readCapture(annotated);
  assert.equal(format, 'pcapng');
  assert.deepEqual(packets.map((p) => p.comment), ['packet 0: pass', 'packet 1: pass', 'packet 2: ignored']);
  assert.deepEqual(packets.map((p) => p.frame), frames);
  assert.deepEqual(packets.map((p) => p.timestampNs), [0n, 1_000_000n, 2_000_000n]);
  assert.deepEqual(packets.map((p) => [p.linkType, p.snapLength]), [[1, 9000], [1, 9000], [1, 9000]]);
  assert.deepEqual(packets[0]!.ip, ip);
});

test('capture write - annotating a multi-section pcapng maps every (section, interface) to its own interface', () => {
  const a = new PcapngWriter();
  a.addInterface({ linkType: LinkType.RAW });
  a.addInterface({ linkType: LinkType.ETHERNET });
  a.addPacket({ interfaceId: 1, timestampNs: 1n, data: frameEthernet(ip) });
  a.addPacket({ interfaceId: 0, timestampNs: 2n, data: ip });
  const b = new PcapngWriter({ littleEndian: false });
  b.addInterface({ linkType: LinkType.LINUX_SLL2 });
  b.addPacket({ interfaceId: 0, timestampNs: 3n, data: new Uint8Array(20) });
  const joined = new Uint8Array([...a.toBytes(), ...b.toBytes()]);
  const annotated = writeAnnotatedPcapng([...readCaptureRecords(joined)].map((record) => ({ record, comment: 'x' })));
  const out = readCapture(annotated).packets;
  assert.deepEqual(out.map((p) => [p.section, p.interfaceId, p.linkType]), [[0, 0, 1], [0, 1, 101], [0, 2, 276]]);
});

test('capture write - invalid writer input is a typed error', () => {
  const writer = new PcapngWriter();
  const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_ARGUMENT);
  bad(() => writer.addPacket({ timestampNs: 0n, data: new Uint8Array(1) }));
  writer.addInterface({ linkType: LinkType.RAW });
  bad(() => writer.addPacket({ timestampNs: -1n, data: new Uint8Array(1) }));
  bad(() => writer.addPacket({ timestampNs: 0n, data: new Uint8Array(1), comment: 'x'.repeat(70000) }));
  bad(() => writePcap([{ timestampNs: -5n, data: new Uint8Array(1) }], { linkType: 1 }));
});
