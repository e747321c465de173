import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIpPacket, buildUdpPacket, frameEthernet, LinkType, writePcap } from '../capture/index.js';
import { jsonLines, runCli } from '../testing/run-cli.js';
import { compileProgram } from './compile.js';

const T0 = 1_700_000_000_000_000_000n;
const dir = mkdtempSync(join(tmpdir(), 'fs-rules-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function capture(frames: Uint8Array[]): string {
  const path = join(dir, `capture-${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(path, writePcap(frames.map((data, i) => ({ timestampNs: T0 + BigInt(i) * 1_000_000n, data })), { linkType: LinkType.ETHERNET }));
  return path;
}

function rulesFile(value: unknown): string {
  const path = join(dir, `rules-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

const GAME = '198.51.100.7';
const frames = [
  buildUdpPacket({ src: '192.0.2.1', dst: GAME, srcPort: 5000, dstPort: 27015, payload: 'TSource Engine Query\0' }), // 0 abuser: block
  buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 27015, payload: 'TSource Engine Query\0' }), // 1 allow (query)
  buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 27015, payload: 'play' }), // 2 skip to the program
  buildUdpPacket({ src: '2001:db8::5', dst: '2001:db8:1::7', srcPort: 5000, dstPort: 27015, payload: 'junk' }), // 3 v6 abuser
  buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 9999, payload: 'other' }), // 4 nothing decides
  buildIpPacket({ src: '192.0.2.1', dst: GAME, protocol: 6, payload: new Uint8Array(20) }), // 5 TCP: ignored
  buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 5060, payload: 'INVITE sip:bob xyzzy' }), // 6 bpf tail_check
].map((p) => frameEthernet(p));

const RULES = {
  lists: { abusers: ['192.0.2.0/24', '2001:db8::/32'] },
  rules: [
    { id: 'log-game', expression: 'udp.dstport == 27015', action: 'log' },
    { id: 'watch-junk', expression: 'udp.payload == "junk"', action: 'block', mode: 'monitoring' },
    { id: 'abusers', expression: 'ip.src in $abusers', action: 'block' },
    { id: 'queries', expression: 'udp.payload[0:4] == 0xffffffff or udp.payload contains "Engine Query"', action: 'allow' },
    { id: 'off', expression: 'udp.dstport > 0', action: 'block', mode: 'disabled' },
    { id: 'game', expression: 'udp.dstport in {27000..27050}', action: 'skip' },
    { id: 'sip-eu', expression: 'udp.dstport == 5060', action: 'block', scope: 'region:eu' },
  ],
};

test('cli rules test - --json prints the fixed per-packet objects, then the summary', async () => {
  const r = await runCli(['rules', 'test', rulesFile(RULES), capture(frames), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.equal(lines.length, frames.length + 1);
  assert.deepEqual(lines.slice(0, -1), [
    { index: 0, matched: ['log-game', 'abusers', 'queries', 'game'], action: 'block', rule: 'abusers' },
    { index: 1, matched: ['log-game', 'queries', 'game'], action: 'allow', rule: 'queries' },
    { index: 2, matched: ['log-game', 'game'], action: 'skip', rule: 'game' },
    { index: 3, matched: ['log-game', 'watch-junk', 'abusers', 'game'], action: 'block', rule: 'abusers' },
    { index: 4, matched: [], action: null, rule: null },
    { index: 5, matched: [], action: null, rule: null, ignored: 'non-udp' },
    { index: 6, matched: [], action: null, rule: null },
  ]);
  const summary = lines.at(-1)!.summary as { packets: number; ignored: number; actions: Record<string, number>; undecided: number; scope: string; rules: { id: string; packets: number; bytes: number }[] };
  assert.equal(summary.packets, 7);
  assert.equal(summary.ignored, 1);
  assert.deepEqual(summary.actions, { block: 2, allow: 1, skip: 1, run: 0 });
  assert.equal(summary.undecided, 2);
  assert.equal(summary.scope, 'global');
  const counter = (id: string) => summary.rules.find((c) => c.id === id);
  assert.equal(counter('log-game')!.packets, 4);
  assert.equal(counter('log-game')!.bytes, frames.slice(0, 4).reduce((n, f) => n + f.length - 14, 0)); // IP bytes, no Ethernet header
  assert.equal(counter('watch-junk')!.packets, 1);
  assert.equal(counter('off'), undefined);
});

test('cli rules test - --region picks the most specific scope; the human form names the deciding rule', async () => {
  const r = await runCli(['rules', 'test', rulesFile(RULES), capture(frames), '--region', 'eu']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[6]!, /^#6\s+block by sip-eu\s+matched: sip-eu$/);
  assert.match(lines[5]!, /ignored \(non-udp\)/);
  assert.match(lines[7]!, /7 packets \(scope region:eu\): 1 block, 0 allow, 0 skip, 0 run, 5 undecided, 1 ignored/);
});

test('cli rules test - bpf("tail_check") runs the socket-filter example in the VM', async () => {
  const object = compileProgram(fileURLToPath(new URL('../../../programs/examples/tail_check.c', import.meta.url)), { output: join(dir, 'tail_check.o') });
  const rules = rulesFile({ rules: [{ id: 'tail', expression: 'udp.dstport == 5060 and bpf("tail_check")', action: 'block' }] });
  const r = await runCli(['rules', 'test', rules, capture(frames), '--json', '--bpf', `tail_check=${object}`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(lines[6], { index: 6, matched: ['tail'], action: 'block', rule: 'tail' });
  assert.deepEqual(lines[4], { index: 4, matched: [], action: null, rule: null });
  const missing = await runCli(['rules', 'test', rules, capture(frames), '--json']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /--bpf NAME=PROG\.o/);
});

test('cli rules test - a bad expression fails with its line, column and caret', async () => {
  const r = await runCli(['rules', 'test', rulesFile({ rules: [{ id: 'bad', expression: 'udp.dstport == 27015 and ip.src == 10.0.0.0/8', action: 'block' }] }), capture(frames), '--json']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /rule "bad" \(rules\[0\]\.expression\): line 1, column 36: a CIDR compares only inside a set/);
  assert.match(r.stderr, /\n {35}\^{10}\n/);
  const file = await runCli(['rules', 'test', rulesFile({ rules: [{ id: 'x', expression: 'udp.dstport == 1', action: 'drop' }] }), capture(frames)]);
  assert.equal(file.code, 1);
  assert.match(file.stderr, /rules\[0\]\.action: must be one of block, allow, skip, log, run/);
});

test('cli test --rules - the firewall runs before the program: block drops and allow passes without it', async () => {
  const object = compileProgram(fileURLToPath(new URL('../../../programs/examples/magic_token.c', import.meta.url)), { output: join(dir, 'magic.o') });
  const token = (bytes: number[]) => Uint8Array.from([1, bytes.length >> 8, bytes.length & 0xff, ...bytes]);
  const packets = capture([
    buildUdpPacket({ src: '192.0.2.1', dst: GAME, srcPort: 5000, dstPort: 207, payload: token([1, 0xcf]) }), // valid token, but an abuser
    buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 207, payload: Uint8Array.of(2, 0, 0) }), // no token, allowed by a rule
    buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 207, payload: token([1, 0xcf]) }), // the program passes it
    buildUdpPacket({ src: '203.0.113.9', dst: GAME, srcPort: 5000, dstPort: 207, payload: Uint8Array.of(1, 0, 0) }), // the program drops it
  ].map((p) => frameEthernet(p)));
  const rules = rulesFile({
    lists: { abusers: ['192.0.2.0/24'] },
    rules: [
      { id: 'abusers', expression: 'ip.src in $abusers', action: 'block' },
      { id: 'probes', expression: 'udp.payload[0] == 0x02', action: 'allow' },
      { id: 'seen', expression: 'udp.dstport == 207', action: 'log' },
    ],
  });
  const r = await runCli(['test', object, packets, '--json', '--rules', rules]);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.deepEqual(lines.slice(0, 4).map((l) => [l.verdict, l.rules]), [
    ['drop', { matched: ['abusers', 'seen'], action: 'block', rule: 'abusers' }],
    ['pass', { matched: ['probes', 'seen'], action: 'allow', rule: 'probes' }],
    ['pass', { matched: ['seen'], action: null, rule: null }],
    ['drop', { matched: ['seen'], action: null, rule: null }],
  ]);
  // without --rules the output has no rules key and the program decides alone
  const plain = jsonLines((await runCli(['test', object, packets, '--json'])).stdout);
  assert.deepEqual(plain.slice(0, 4).map((l) => [l.verdict, 'rules' in l]), [['pass', false], ['drop', false], ['pass', false], ['drop', false]]);
});
