import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildIpPacket, buildUdpPacket } from './build.js';
import { classifyUdp, NotUdpReason, type UdpClassification, type UdpPacketInfo } from './classify.js';
import { formatIpAddress } from './address.js';

function udp(c: UdpClassification): UdpPacketInfo {
  assert.equal(c.kind, 'udp', JSON.stringify(c));
  return c as UdpPacketInfo;
}

function reason(c: UdpClassification): string {
  assert.equal(c.kind, 'not-udp');
  return c.kind === 'not-udp' ? c.reason : '';
}

test('capture classify - IPv4 UDP fields', () => {
  const ip = buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 40000, dstPort: 207, payload: 'hello', ttl: 33 });
  const c = udp(classifyUdp(ip));
  assert.equal(c.ipVersion, 4);
  assert.equal(formatIpAddress(c.srcAddress), '192.0.2.1');
  assert.equal(formatIpAddress(c.dstAddress), '198.51.100.7');
  assert.equal(c.srcPort, 40000);
  assert.equal(c.dstPort, 207);
  assert.equal(c.ipHeaderLength, 20);
  assert.equal(c.payloadOffset, 28);
  assert.equal(c.udpLength, 13);
  assert.equal(c.payloadLength, 5);
  assert.equal(c.payloadTruncated, false);
  assert.equal(c.ttl, 33);
});

test('capture classify - IPv4 options move the UDP header', () => {
  const ip = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'x', ipv4Options: Uint8Array.of(1, 1, 1, 0, 1, 1, 1, 0) });
  const c = udp(classifyUdp(ip));
  assert.equal(c.ipHeaderLength, 28);
  assert.equal(c.payloadOffset, 36);
});

test('capture classify - IPv6 UDP, with extension headers walked', () => {
  const plain = udp(classifyUdp(buildUdpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5, dstPort: 207, payload: 'abc' })));
  assert.equal(plain.ipVersion, 6);
  assert.equal(plain.ipHeaderLength, 40);
  assert.equal(formatIpAddress(plain.dstAddress), '2001:db8::2');

  const ip = buildUdpPacket({
    src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5, dstPort: 207, payload: 'abc',
    ipv6ExtensionHeaders: [
      { type: 0, body: new Uint8Array(6) },            // hop-by-hop, 8 bytes
      { type: 60, body: new Uint8Array(14) },          // destination options, 16 bytes
      { type: 44, fragmentOffset: 0, moreFragments: false, identification: 7 }, // atomic fragment
      { type: 43, body: Uint8Array.of(0, 0, 0, 0, 0, 0) }, // routing, 8 bytes
    ],
  });
  const c = udp(classifyUdp(ip));
  assert.equal(c.ipHeaderLength, 40 + 8 + 16 + 8 + 8);
  assert.equal(c.payloadLength, 3);
  assert.deepEqual(Array.from(ip.subarray(c.payloadOffset)), Array.from(Buffer.from('abc')));
});

test('capture classify - fragments are not UDP', () => {
  const first = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'x', moreFragments: true });
  assert.equal(reason(classifyUdp(first)), NotUdpReason.FRAGMENT);
  const later = buildIpPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: new Uint8Array(16), fragmentOffset: 1480 });
  assert.equal(reason(classifyUdp(later)), NotUdpReason.FRAGMENT);
  const v6 = buildUdpPacket({ src: '::1', dst: '::2', srcPort: 1, dstPort: 2, payload: 'x', ipv6ExtensionHeaders: [{ type: 44, moreFragments: true }] });
  assert.equal(reason(classifyUdp(v6)), NotUdpReason.FRAGMENT);
  // Don't-fragment alone is an ordinary packet.
  udp(classifyUdp(buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'x', dontFragment: true })));
});

test('capture classify - other protocols are reported with their number', () => {
  const tcp = classifyUdp(buildIpPacket({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: new Uint8Array(20) }));
  assert.deepEqual([tcp.kind, tcp.kind === 'not-udp' && tcp.reason, tcp.kind === 'not-udp' && tcp.protocol], ['not-udp', NotUdpReason.NON_UDP, 6]);
  const icmp6 = classifyUdp(buildIpPacket({ src: '::1', dst: '::2', protocol: 58, payload: new Uint8Array(8), ipv6ExtensionHeaders: [{ type: 0 }] }));
  assert.equal(icmp6.kind === 'not-udp' && icmp6.protocol, 58);
  const none = classifyUdp(buildIpPacket({ src: '::1', dst: '::2', protocol: 59, payload: new Uint8Array(0) }));
  assert.equal(reason(none), NotUdpReason.NON_UDP);
});

test('capture classify - truncated and malformed headers', () => {
  const ip = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'payload' });
  assert.equal(reason(classifyUdp(ip.subarray(0, 0))), NotUdpReason.TRUNCATED);
  assert.equal(reason(classifyUdp(ip.subarray(0, 19))), NotUdpReason.TRUNCATED);
  assert.equal(reason(classifyUdp(ip.subarray(0, 27))), NotUdpReason.TRUNCATED);
  const cut = udp(classifyUdp(ip.subarray(0, 30)));
  assert.equal(cut.payloadLength, 2);
  assert.equal(cut.payloadTruncated, true);

  const badIhl = Uint8Array.from(ip);
  badIhl[0] = 0x44;
  assert.equal(reason(classifyUdp(badIhl)), NotUdpReason.MALFORMED);
  const badVersion = Uint8Array.from(ip);
  badVersion[0] = 0x55;
  assert.equal(reason(classifyUdp(badVersion)), NotUdpReason.MALFORMED);
  const shortUdp = buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'x', udpLength: 7 });
  assert.equal(reason(classifyUdp(shortUdp)), NotUdpReason.MALFORMED);

  const v6 = buildUdpPacket({ src: '::1', dst: '::2', srcPort: 1, dstPort: 2, payload: 'x', ipv6ExtensionHeaders: [{ type: 60, body: new Uint8Array(30) }] });
  assert.equal(reason(classifyUdp(v6.subarray(0, 39))), NotUdpReason.TRUNCATED);
  assert.equal(reason(classifyUdp(v6.subarray(0, 50))), NotUdpReason.TRUNCATED);
  assert.equal(reason(classifyUdp(v6.subarray(0, 40 + 32 + 4))), NotUdpReason.TRUNCATED);
});

test('capture classify - a UDP length beyond the packet is flagged, a shorter one bounds the payload', () => {
  const longer = udp(classifyUdp(buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'abcd', udpLength: 100 })));
  assert.deepEqual([longer.payloadLength, longer.payloadTruncated], [4, true]);
  const shorter = udp(classifyUdp(buildUdpPacket({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, payload: 'abcd', udpLength: 10 })));
  assert.deepEqual([shorter.payloadLength, shorter.payloadTruncated], [2, false]);
});

test('capture classify - never throws and stays inside the packet, whatever the bytes', () => {
  const versioned = fc.tuple(fc.constantFrom(0x45, 0x46, 0x4f, 0x60, 0x41, 0x00), fc.uint8Array({ maxLength: 120 }))
    .map(([first, rest]) => Uint8Array.of(first, ...rest));
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), versioned), (bytes) => {
    const c = classifyUdp(bytes);
    if (c.kind === 'udp') {
      assert.ok(c.payloadOffset === c.ipHeaderLength + 8);
      assert.ok(c.payloadOffset + c.payloadLength <= bytes.length);
      assert.ok(c.srcAddress.length === (c.ipVersion === 4 ? 4 : 16));
    }
  }), { numRuns: 3000 });
});
