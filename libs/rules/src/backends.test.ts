import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PacketView, ViewRefusal } from './packet-view.js';
import { compileRules } from './rule-set.js';
import { parseRulesFile } from './rules-file.js';
import { udpPacket } from './packets.test-support.js';

/*
 * The two back ends (generated JavaScript, the production one; closures, the reference) must
 * give the same matched rules, decisions and counters on every packet.
 */

const EXPRESSIONS = [
  'udp.dstport == 27015', 'udp.dstport != 27015', 'udp.dstport in {27000..27050 7777 1..3}', 'udp.dstport in {1 3 5 7 9 11 13 15 17 19 21}',
  'udp.srcport & 0x8', 'udp.srcport > 30000 and ip.ttl <= 64', 'ip.ttl lt 10 or ip.len ge 100', 'ip.proto == "udp"', 'ip.hdr_len == 20',
  'ip.src == 192.0.2.1', 'ip.src == 2001:db8::1', 'ip.src != 192.0.2.1', 'ip.src < 192.0.2.128', 'ip.dst ge 2001:db8::',
  'ip.src in {192.0.2.0/25 2001:db8::/33 0.0.0.0/1}', 'ip.src in {::/0}', 'ip.src in {0.0.0.0/0}', 'ip.src in $big', 'ip.dst in $big',
  'ip.src in {10.0.0.0/8 10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 10.4.0.0/16 10.5.0.0/16 10.6.0.0/16 10.7.0.0/16 192.0.2.0/24 2001:db8::/32}',
  'udp.payload[0:2] == "ab"', 'udp.payload[0:2] != "ab"', 'udp.payload[1] == 0x62', 'udp.payload[0:3] == 61:62:63', 'udp.payload[2:] == "c"',
  'udp.payload contains "bc"', 'udp.payload matches "^a.c"', 'udp.payload > "ab"', 'udp[0:2] == 0x1f90', 'ip[0] == 0x45',
  'bit_slice("udp", 64, 72) == 0x61', 'bit_slice("udp", 64, 72) in {0x60..0x62}', 'bit_slice("ip", 4, 8) == 5', 'bit_slice("udp", 60, 92) > 0',
  'bit_slice("udp", 64, 80) & 0x0100', 'not udp.dstport == 1 xor ip.ttl == 64 ^^ udp.srcport == 8080',
  'bpf("odd")', 'bpf("odd") and udp.dstport == 27015',
];
const ACTIONS = ['block', 'allow', 'skip', 'log', 'run'] as const;
const MODES = ['enabled', 'monitoring', 'disabled'] as const;

const big = Array.from({ length: 600 }, (_, i) => `10.${i % 250}.${(i * 7) % 256}.0/24`).concat(['2001:db8::/40', '192.0.2.0/26']);
const bpf = (_name: string, p: PacketView) => p.length & 1;

test('rules backends - generated code and closures agree on random rule sets and packets', () => {
  const ruleArb = fc.record({ e: fc.nat(EXPRESSIONS.length - 1), a: fc.nat(4), m: fc.nat(2) });
  const packetArb = fc.record({
    v6: fc.boolean(),
    src: fc.nat(3),
    dstPort: fc.constantFrom(1, 3, 11, 27015, 27049, 7777, 8080),
    srcPort: fc.constantFrom(8080, 8, 40000, 12),
    ttl: fc.constantFrom(1, 9, 64, 200),
    payload: fc.constantFrom('', 'a', 'ab', 'abc', 'abcdefgh', 'zzz', '\xff\x00'),
  });
  fc.assert(fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 60 }), fc.array(packetArb, { minLength: 1, maxLength: 20 }), (specs, packets) => {
    const file = parseRulesFile({
      lists: { big },
      rules: specs.map((s, i) => ({
        id: `r${i}`, expression: EXPRESSIONS[s.e]!, action: ACTIONS[s.a]!, mode: MODES[s.m]!, ...(ACTIONS[s.a] === 'run' ? { program: 'p' } : {}),
      })),
    });
    const gen = compileRules(file, { bpf });
    const ref = compileRules(file, { bpf, backend: 'closures' });
    const view = new PacketView();
    for (const pk of packets) {
      const src = pk.v6 ? ['2001:db8::1', '2001:db8:0:1::5', '::1', 'fe80::1'][pk.src]! : ['192.0.2.1', '10.3.7.9', '192.0.2.200', '203.0.113.1'][pk.src]!;
      const bytes = udpPacket({ src, dst: pk.v6 ? '2001:db8::2' : '198.51.100.7', srcPort: pk.srcPort, dstPort: pk.dstPort, ttl: pk.ttl, payload: new Uint8Array([...pk.payload].map((c) => c.charCodeAt(0))) });
      assert.equal(view.load(bytes, 0, bytes.length), ViewRefusal.NONE);
      assert.equal(gen.evaluate(view), ref.evaluate(view));
      assert.deepEqual(gen.matched.subarray(0, gen.matchedCount), ref.matched.subarray(0, ref.matchedCount));
    }
    assert.deepEqual(gen.counters(), ref.counters());
  }), { numRuns: 300 });
});
