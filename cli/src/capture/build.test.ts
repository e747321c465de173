import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIpAddress, parseIpAddress } from './address.js';
import { buildIpPacket, buildUdpPacket, frameEthernet, frameForLinkType, frameLinuxSll, frameLinuxSll2 } from './build.js';
import { internetChecksum, udpChecksum } from './checksum.js';
import { CaptureError, CaptureErrorCode } from './errors.js';
import { extractIp, LinkType } from './link-types.js';

test('capture build - internet checksum matches the classic IPv4 header example', () => {
  const header = Uint8Array.from(Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex'));
  assert.equal(internetChecksum(header), 0xb861);
});

test('capture build - IPv4 header and UDP checksums verify', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 0xffff }), (payload, port) => {
    const ip = buildUdpPacket({ src: '203.0.113.9', dst: '192.0.2.200', srcPort: port, dstPort: 207, payload });
    assert.equal(internetChecksum(ip.subarray(0, 20)), 0, 'header checksum');
    assert.equal((ip[2]! << 8) | ip[3]!, ip.length, 'total length');
    const udp = ip.subarray(20);
    assert.equal((udp[4]! << 8) | udp[5]!, udp.length, 'UDP length');
    const declared = (udp[6]! << 8) | udp[7]!;
    const zeroed = Uint8Array.from(udp);
    zeroed[6] = 0; zeroed[7] = 0;
    assert.equal(udpChecksum(ip.subarray(12, 16), ip.subarray(16, 20), zeroed), declared);
  }), { numRuns: 200 });
});

test('capture build - IPv6 UDP checksum and payload length', () => {
  const ip = buildUdpPacket({ src: '2001:db8::10', dst: 'fe80::1', srcPort: 9, dstPort: 207, payload: 'xyzzy', ipv6ExtensionHeaders: [{ type: 0 }] });
  assert.equal((ip[4]! << 8) | ip[5]!, ip.length - 40);
  assert.equal(ip[6], 0);
  assert.equal(ip[40], 17, 'hop-by-hop points at UDP');
  const udp = Uint8Array.from(ip.subarray(48));
  const declared = (udp[6]! << 8) | udp[7]!;
  udp[6] = 0; udp[7] = 0;
  assert.equal(udpChecksum(ip.subarray(8, 24), ip.subarray(24, 40), udp), declared);
  assert.notEqual(declared, 0);
});

test('capture build - addresses parse and format', () => {
  assert.equal(formatIpAddress(parseIpAddress('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIpAddress(parseIpAddress('::')), '::');
  assert.equal(formatIpAddress(parseIpAddress('::1')), '::1');
  assert.equal(formatIpAddress(parseIpAddress('fe80::')), 'fe80::');
  assert.equal(formatIpAddress(parseIpAddress('::ffff:192.0.2.1')), '::ffff:c000:201');
  assert.equal(formatIpAddress(parseIpAddress('1:2:3:4:5:6:7:8')), '1:2:3:4:5:6:7:8');
  assert.equal(formatIpAddress(parseIpAddress('1:0:3:4:5:6:7:8')), '1:0:3:4:5:6:7:8');
  assert.equal(formatIpAddress(parseIpAddress('10.1.2.3')), '10.1.2.3');
  assert.throws(() => parseIpAddress('10.1.2'), (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_ARGUMENT);
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
    assert.deepEqual(parseIpAddress(formatIpAddress(bytes)), bytes);
  }));
});

test('capture build - link framings carry the IP packet where the reader finds it', () => {
  const v4 = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'a' });
  const v6 = buildUdpPacket({ src: '::1', dst: '::2', srcPort: 1, dstPort: 2, payload: 'a' });
  for (const ip of [v4, v6]) {
    const cases: Array<[number, Uint8Array]> = [
      [LinkType.ETHERNET, frameEthernet(ip)],
      [LinkType.ETHERNET, frameEthernet(ip, { vlanIds: [10, 20], trailer: 30 })],
      [LinkType.LINUX_SLL, frameLinuxSll(ip)],
      [LinkType.LINUX_SLL2, frameLinuxSll2(ip)],
      [LinkType.RAW, frameForLinkType(LinkType.RAW, ip)],
    ];
    for (const [linkType, frame] of cases) {
      const found = extractIp(linkType, frame);
      assert.ok(found.ok, `link ${linkType}`);
      assert.deepEqual(found.ok && found.ip, ip, `link ${linkType}: trimmed to the IP length`);
    }
  }
});

test('capture build - bad arguments are typed errors', () => {
  const bad = (fn: () => unknown) => assert.throws(fn, (e: unknown) => e instanceof CaptureError && e.code === CaptureErrorCode.BAD_ARGUMENT && e.offset === -1);
  bad(() => buildUdpPacket({ src: '10.0.0.1', dst: '::1', srcPort: 1, dstPort: 2, payload: '' }));
  bad(() => buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 70000, dstPort: 2, payload: '' }));
  bad(() => buildIpPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: new Uint8Array(70000) }));
  bad(() => buildIpPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: new Uint8Array(1), fragmentOffset: 3 }));
  bad(() => frameForLinkType(147, new Uint8Array(20)));
});
