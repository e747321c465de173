// Captures written by other implementations (Wireshark 4.0's text2pcap and editcap), kept as
// small files in fixtures/, read back with the values tshark reports for them. Together with the
// hand-laid blocks of read.test.ts this keeps the reader honest against more than our own writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { classifyUdp, type UdpPacketInfo } from './classify.js';
import { formatIpAddress } from './address.js';
import { LinkType } from './link-types.js';
import { readCapture } from './read.js';

const fixture = (name: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../../src/capture/fixtures/${name}`, import.meta.url))));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function udpOf(ip: Uint8Array | null): UdpPacketInfo {
  assert.ok(ip);
  const c = classifyUdp(ip);
  assert.equal(c.kind, 'udp');
  return c as UdpPacketInfo;
}

test('capture interop - text2pcap pcapng: Ethernet with minimum-frame padding, nanosecond interface', () => {
  const { format, packets } = readCapture(fixture('t2p-udp4.pcapng'));
  assert.equal(format, 'pcapng');
  assert.deepEqual(packets.map((p) => p.timestampNs), [1795307604000001000n, 1795307604000002000n]);
  assert.deepEqual(packets.map((p) => [p.linkType, p.frame.length]), [[LinkType.ETHERNET, 60], [LinkType.ETHERNET, 60]]);
  const payloads = packets.map((p) => {
    const u = udpOf(p.ip);
    assert.equal(p.ip!.length, u.payloadOffset + u.payloadLength, 'padding is not part of the IP packet');
    assert.deepEqual([formatIpAddress(u.srcAddress), formatIpAddress(u.dstAddress), u.srcPort, u.dstPort], ['192.0.2.10', '198.51.100.20', 40000, 207]);
    return hex(p.ip!.subarray(u.payloadOffset));
  });
  assert.deepEqual(payloads, ['0100030708cf', '010001ce']);
});

test('capture interop - text2pcap pcap: IPv6 over Ethernet, microseconds', () => {
  const { format, packets } = readCapture(fixture('t2p-udp6.pcap'));
  assert.equal(format, 'pcap');
  assert.deepEqual(packets.map((p) => p.timestampNs), [1795307604000001000n, 1795307604000002000n]);
  const u = udpOf(packets[0]!.ip);
  assert.deepEqual([u.ipVersion, formatIpAddress(u.srcAddress), formatIpAddress(u.dstAddress), u.udpLength], [6, '2001:db8::10', '2001:db8::20', 14]);
  assert.equal(hex(packets[1]!.ip!.subarray(u.payloadOffset)), '010001ce');
});

test('capture interop - text2pcap pcap: raw IPv4 link type', () => {
  const { packets } = readCapture(fixture('t2p-raw4.pcap'));
  assert.equal(packets.length, 1);
  assert.equal(packets[0]!.linkType, LinkType.RAW);
  const u = udpOf(packets[0]!.ip);
  assert.deepEqual([u.srcPort, u.dstPort, u.udpLength], [5000, 53, 13]);
  assert.equal(Buffer.from(packets[0]!.ip!.subarray(u.payloadOffset)).toString(), 'xyzzy');
});

test('capture interop - editcap pcapng: packet comments', () => {
  const { packets } = readCapture(fixture('ed-comments.pcapng'));
  assert.deepEqual(packets.map((p) => p.comment), ['first packet', 'second packet']);
  assert.deepEqual(packets.map((p) => udpOf(p.ip).dstPort), [207, 207]);
});
