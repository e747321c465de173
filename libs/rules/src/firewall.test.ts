import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Firewall, FirewallStep, socketFilterHost } from './firewall.js';
import { PrefixList } from './prefix-list.js';
import { compileRules } from './rule-set.js';
import { parseRulesFile } from './rules-file.js';
import { udpPacket } from './packets.test-support.js';

const file = (rules: object[]) => parseRulesFile({ rules });

test('firewall - block drops, allow passes, skip/run/log/no decision go to the program; monitoring never decides', () => {
  const fw = new Firewall();
  const rules = compileRules(file([
    { id: 'log', expression: 'udp.length >= 8', action: 'log' },
    { id: 'watch', expression: 'udp.dstport == 1', action: 'block', mode: 'monitoring' },
    { id: 'b', expression: 'udp.dstport == 1', action: 'allow' },
    { id: 'c', expression: 'udp.dstport == 2', action: 'block' },
    { id: 'd', expression: 'udp.dstport == 3', action: 'skip' },
    { id: 'e', expression: 'udp.dstport == 4', action: 'run' },
  ]));
  const p = (dstPort: number) => udpPacket({ src: '192.0.2.1', dst: '198.51.100.1', srcPort: 5000, dstPort, payload: new Uint8Array(4) });
  assert.equal(fw.step(p(1), 0, p(1).length), FirewallStep.PROGRAM, 'no rules: the program');
  fw.swap(rules);
  assert.equal(fw.step(p(1), 0, p(1).length), FirewallStep.PASS);
  assert.deepEqual(fw.outcome(), { matched: ['log', 'watch', 'b'], action: 'allow', rule: 'b' });
  assert.equal(fw.step(p(2), 0, p(2).length), FirewallStep.DROP);
  assert.equal(fw.step(p(3), 0, p(3).length), FirewallStep.PROGRAM);
  assert.equal(fw.step(p(4), 0, p(4).length), FirewallStep.PROGRAM);
  assert.equal(fw.step(p(5), 0, p(5).length), FirewallStep.PROGRAM);
  assert.deepEqual(fw.outcome(), { matched: ['log'], action: null, rule: null });
  // a packet the rules cannot read goes to the program, as with no rules
  assert.equal(fw.step(Uint8Array.of(0x45, 0), 0, 2), FirewallStep.PROGRAM);
  assert.notEqual(fw.refusal, 0);
});

test('firewall - swap keeps the counters of rules that persist', () => {
  const fw = new Firewall();
  const p = udpPacket({ src: '192.0.2.1', dst: '198.51.100.1', srcPort: 5000, dstPort: 7, payload: new Uint8Array(10) });
  fw.swap(compileRules(file([{ id: 'a', expression: 'udp.dstport == 7', action: 'log' }])));
  fw.step(p, 0, p.length);
  fw.step(p, 0, p.length);
  fw.swap(compileRules(file([{ id: 'a', expression: 'udp.dstport == 7', action: 'log' }, { id: 'b', expression: 'udp.dstport == 7', action: 'block' }])));
  assert.equal(fw.step(p, 0, p.length), FirewallStep.DROP);
  const counters = fw.rules!.counters();
  assert.deepEqual(counters.map((c) => [c.id, c.packets, c.bytes]), [['a', 3, 3 * p.length], ['b', 1, p.length]]);
});

test('firewall - bpf() through socketFilterHost: nonzero is a match, a fault is not', () => {
  const calls: number[] = [];
  const filters = new Map([
    ['yes', { run: (ip: Uint8Array) => { calls.push(ip.length); return { fault: null, r0: 7n }; } }],
    ['fault', { run: () => ({ fault: { code: 'x' }, r0: 1n }) }],
  ]);
  const host = socketFilterHost(filters, { meta: null, now: 0 });
  const fw = new Firewall();
  fw.swap(compileRules(file([{ id: 'f', expression: 'bpf("fault")', action: 'block' }, { id: 'y', expression: 'bpf("yes")', action: 'allow' }]), { bpf: host }));
  const p = udpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 1, dstPort: 2, payload: new Uint8Array(3) });
  assert.equal(fw.step(p, 0, p.length), FirewallStep.PASS);
  assert.deepEqual(calls, [p.length], 'the filter sees the packet from its IP header on');
});

test('prefix list - toBuilt/fromBuilt carries a built list across threads without rebuilding', () => {
  const list = PrefixList.fromTexts(Array.from({ length: 2000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`).concat(['2001:db8::/32']));
  const copy = PrefixList.fromBuilt(structuredClone(list.toBuilt()));
  for (const a of [0x0a000105, 0x0a070f01, 0x0b000000]) assert.equal(copy.lookup4(a), list.lookup4(a));
  assert.equal(copy.lookup6(Uint32Array.of(0x20010db8, 1, 2, 3), 0), list.lookup6(Uint32Array.of(0x20010db8, 1, 2, 3), 0));
  assert.throws(() => PrefixList.fromBuilt({ ...list.toBuilt(), iv4: new Uint32Array(3) }), /inconsistent/);
});
