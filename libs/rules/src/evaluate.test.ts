import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileExpr, type BpfHost } from './compile.js';
import { PacketView, ViewRefusal } from './packet-view.js';
import { parseExpression } from './parser.js';
import { PrefixList } from './prefix-list.js';
import { compileRules } from './rule-set.js';
import { parseRulesFile } from './rules-file.js';
import { udpPacket, type TestPacket } from './packets.test-support.js';

const lists = new Map([['abusers', PrefixList.fromTexts(['192.0.2.0/24', '2001:db8::/32', '198.51.100.7'])]]);
const calls: string[] = [];
const bpf: BpfHost = (name, p) => { calls.push(name); return name === 'tail' && p.bytes[p.udpEnd - 1] === 0x79 ? p.length : 0; };

function run(expression: string, packet: TestPacket): boolean {
  const bytes = udpPacket(packet);
  // the packet sits inside a larger buffer, as in the edge's slot memory
  const buf = new Uint8Array(bytes.length + 100);
  buf.set(bytes, 37);
  const view = new PacketView();
  assert.equal(view.load(buf, 37, bytes.length), ViewRefusal.NONE);
  const closure = compileExpr(parseExpression(expression), expression, { lists, bpf })(view);
  // the generated back end, through a one-rule set, must agree
  const set = compileRules(parseRulesFile({ rules: [{ id: 'r', expression, action: 'block' }] }), { lists, bpf });
  assert.equal(set.evaluate(view) === 0, closure, 'generated code and closures disagree');
  return closure;
}

const V4: TestPacket = { src: '192.0.2.9', dst: '10.0.0.1', srcPort: 12345, dstPort: 27015, ttl: 50, payload: 'TSource Engine Query\0xyzzy' };
const V6: TestPacket = { src: '2001:db8::9', dst: '2001:db8:1::1', srcPort: 12345, dstPort: 27015, ttl: 50, payload: 'TSource Engine Query\0xyzzy' };
const payloadLen = 26;

/** [expression, on the IPv4 packet, on the IPv6 packet] */
const CASES: [string, boolean, boolean][] = [
  // addresses: equality, ordering, sets with CIDRs, lists, families kept apart
  ['ip.src == 192.0.2.9', true, false],
  ['ip.src == 2001:db8::9', false, true],
  ['ip.src != 192.0.2.9', false, true],
  ['ip.dst eq 10.0.0.1', true, false],
  ['ip.src < 192.0.2.10', true, false],
  ['ip.src ge 2001:db8::9', false, true],
  ['ip.src gt 2001:db8::9', false, false],
  ['ip.src in {192.0.2.0/24 2001:db8::/48}', true, true],
  ['ip.src in {10.0.0.0/8 2001:db9::/32}', false, false],
  ['ip.src in $abusers', true, true],
  ['ip.dst in $abusers', false, true],
  ['not ip.dst in $abusers', true, false],
  // integers
  ['ip.proto == 17', true, true],
  ['ip.proto == "udp"', true, true],
  ['ip.proto in {"tcp" "icmp"}', false, false],
  [`ip.len == ${20 + 8 + payloadLen}`, true, false],
  [`ip.len == ${40 + 8 + payloadLen}`, false, true],
  ['ip.ttl == 50', true, true],
  ['ip.ttl lt 51 && ip.ttl le 50 && ip.ttl gt 49 && ip.ttl ge 50', true, true],
  ['ip.hdr_len == 20', true, false],
  ['ip.hdr_len == 40', false, true],
  ['udp.srcport == 12345', true, true],
  ['udp.dstport in {27000..27050 7777}', true, true],
  ['udp.dstport in {1..1000}', false, false],
  [`udp.length == ${8 + payloadLen}`, true, true],
  ['udp.srcport & 0x1 and udp.srcport bitwise_and 8', true, true],
  ['udp.srcport & 0x2', false, false],
  // bytes: fields, slices, contains, matches, ordering, sets
  ['udp.payload[0:4] == "TSou"', true, true],
  ['udp.payload[0:4] == 54:53:6f:75', true, true],
  ['udp.payload[0:4] == 0x54536f75', true, true],
  ['udp.payload[0] == 0x54', true, true],
  ['udp.payload[1-3] == "Sou"', true, true],
  ['udp.payload[21:] == "xyzzy"', true, true],
  ['udp.payload[24:4] == "zy\\x00\\x00"', false, false], // past the end: absent, false
  ['udp.payload[24:4] != "zz"', false, false], // absent is false for != too
  ['udp.payload contains "Engine"', true, true],
  ['udp.payload contains "engine"', false, false],
  ['udp.payload matches "^TSource (Engine|Game) Query\\x00"', true, true],
  ['udp.payload ~ r"xyz+y$"', true, true],
  ['udp.payload matches "^\\xff\\xff"', false, false],
  ['udp.payload > "TS"', true, true],
  ['udp.payload < "TS"', false, false],
  ['udp.payload in {"nope" "TSource Engine Query\\x00xyzzy"}', true, true],
  ['udp[2:2] == 0x6987', true, true], // UDP destination port 27015 in the raw header
  ['ip[0] == 0x45', true, false],
  ['ip[0] == 0x60', false, true],
  ['ip[9:1] == 0x11', true, false],
  // bit_slice: bits from the start of the header, at most 32
  ['bit_slice("ip", 0, 4) == 4', true, false],
  ['bit_slice("ip", 0, 4) == 6', false, true],
  ['bit_slice("udp", 16, 32) == 27015', true, true],
  ['bit_slice("udp", 64, 96) == 0x54536f75', true, true],
  ['bit_slice("udp", 65, 68) == 5', true, true], // 'T' = 0101 0100: bits 1..3 = 101
  ['bit_slice("udp", 2000, 2008) == 0', false, false], // past the packet: absent
  ['bit_slice("udp", 64, 72) in {0x50..0x55}', true, true],
  // bpf() calls the host
  ['bpf("tail")', true, true],
  ['bpf("other") or udp.dstport == 1', false, false],
  // logic
  ['udp.dstport == 27015 xor ip.src == 192.0.2.9', false, true],
  ['(udp.dstport == 1 || udp.dstport == 27015) && !(ip.ttl < 10)', true, true],
];

for (const [expression, on4, on6] of CASES) {
  test(`rules evaluate - ${expression}`, () => {
    assert.equal(run(expression, V4), on4, 'IPv4');
    assert.equal(run(expression, V6), on6, 'IPv6');
  });
}

test('rules evaluate - IPv4 options and IPv6 extension headers move the UDP header', () => {
  assert.ok(run('ip.hdr_len == 28 and udp.dstport == 27015 and udp.payload[0:2] == "TS"', { ...V4, options: 8 }));
  assert.ok(run('ip.hdr_len == 48 and udp.dstport == 27015 and udp.payload[0:2] == "TS"', { ...V6, hopByHop: true }));
});

test('rules evaluate - the view refuses what is not UDP, and never throws', () => {
  const view = new PacketView();
  const p = udpPacket(V4);
  p[9] = 6;
  assert.equal(view.load(p, 0, p.length), ViewRefusal.NON_UDP);
  const f = udpPacket(V4);
  f[6] = 0x20; // more fragments
  assert.equal(view.load(f, 0, f.length), ViewRefusal.FRAGMENT);
  const t = udpPacket(V6);
  assert.equal(view.load(t, 0, 30), ViewRefusal.TRUNCATED);
  for (let n = 0; n < 2000; n++) {
    const junk = new Uint8Array(n % 80).map(() => (Math.random() * 256) | 0);
    view.load(junk, 0, junk.length);
  }
});
