import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIpPacket, buildUdpPacket, frameEthernet, frameLinuxSll, LinkType, readCapturePackets, writePcap, PcapngWriter } from '../capture/index.js';
import { jsonLines, runCli } from '../testing/run-cli.js';
import { encodeAnswer } from '@flowshield/proto';
import { solveChallenge } from '@flowshield/puzzle';

const EXAMPLES = fileURLToPath(new URL('../../../programs/examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-'));
const token = (bytes: number[]) => Uint8Array.of(1, bytes.length >> 8, bytes.length & 0xff, ...bytes);
const T0 = 1_800_000_000n * 1_000_000_000n;

async function compile(name: string): Promise<string> {
  const out = join(dir, name.replace(/\.c$/, '.o'));
  const result = await runCli(['compile', join(EXAMPLES, name), '-o', out]);
  assert.equal(result.code, 0, result.stderr);
  return out;
}

function pcap(frames: Uint8Array[], linkType: number = LinkType.ETHERNET): string {
  const path = join(dir, `capture-${Math.random().toString(36).slice(2)}.pcap`);
  writeFileSync(path, writePcap(frames.map((data, i) => ({ timestampNs: T0 + BigInt(i) * 1_000_000n, data })), { linkType }));
  return path;
}

test('cli program verbs - every example compiles and verifies; --json names type and helpers', async () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.c'));
  assert.ok(examples.length >= 6);
  for (const example of examples) {
    const object = await compile(example);
    const verified = await runCli(['verify', object, '--json']);
    assert.equal(verified.code, 0, `${example}: ${verified.stdout}${verified.stderr}`);
    const report = JSON.parse(verified.stdout) as { ok: boolean; type: string; instructions: number; helpers: { id: number; name: string }[] };
    assert.equal(report.ok, true);
    assert.ok(report.instructions > 0);
  }
  const challenge = JSON.parse((await runCli(['verify', await compile('challenge.c'), '--json'])).stdout) as { type: string; helpers: { id: number; name: string }[] };
  assert.equal(challenge.type, 'flowshield');
  assert.deepEqual(challenge.helpers.map((h) => h.name).filter((n) => n.startsWith('fs_')).sort(), ['fs_counter_add', 'fs_issue_challenge', 'fs_verify_challenge']);
});

test('cli program verbs - a bad program is refused with its instruction and source line', async () => {
  const source = join(dir, 'bad.c');
  writeFileSync(source, '#include <flowshield.h>\nSEC("flowshield") u64 cf_ebpf_main(struct fs_ctx *ctx)\n{\n    u64 secret;\n    return fs_set_src_ip_data(secret);\n}\n');
  const object = join(dir, 'bad.o');
  await runCli(['compile', source, '-o', object]); // clang warns about `secret`, and compiles
  const result = await runCli(['verify', object]);
  assert.notEqual(result.code, 0);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^flowshield: .*bad\.o: instruction \d+ \(.*bad\.c:5:\d+\): /);
  const json = await runCli(['verify', object, '--json']);
  const report = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; instruction: number; source: { line: number } } };
  assert.equal(report.ok, false);
  assert.equal(report.error.source.line, 5);
  assert.match(report.error.code, /^FS_ERR_VM_/);
  const missing = await runCli(['verify', join(dir, 'missing.o')]);
  assert.match(missing.stderr, /^flowshield: cannot read .*missing\.o: ENOENT\n$/);
});

test('cli program verbs - asm and disasm round-trip', async () => {
  const source = join(dir, 'prog.s');
  writeFileSync(source, 'mov %r0, 1\nloop: add %r0, 1\njlt %r0, 10, loop\nexit\n');
  const binary = join(dir, 'prog.bin');
  assert.equal((await runCli(['asm', source, '-o', binary])).code, 0);
  const text = await runCli(['disasm', binary]);
  assert.equal(text.stdout, 'mov %r0, 1\nL1:\nadd %r0, 1\njlt %r0, 10, L1\nexit\n');
  const bad = await runCli(['asm', join(dir, 'bad.s')]);
  assert.notEqual(bad.code, 0);
  writeFileSync(join(dir, 'bad.s'), 'mov %r0, 1\nfrob\nexit\n');
  assert.match((await runCli(['asm', join(dir, 'bad.s')])).stderr, /line 2: unknown instruction 'frob'/);
});

test('cli program verbs - test --json prints one exact object per packet and a summary (magic token)', async () => {
  const object = await compile('magic_token.c');
  const frames = [
    frameEthernet(buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 5000, dstPort: 207, payload: token([1, 2, 0xcf]) })),
    frameEthernet(buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 5000, dstPort: 208, payload: token([1, 2, 0xcf]) })),
    frameEthernet(buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 5000, dstPort: 207, payload: Uint8Array.of(1) })),
    frameEthernet(buildUdpPacket({ src: '2001:db8::1', dst: '2001:db8::2', srcPort: 5000, dstPort: 207, payload: token([9, 0xcf]) })),
    frameEthernet(buildIpPacket({ src: '192.0.2.1', dst: '198.51.100.7', protocol: 6, payload: new Uint8Array(20) })),
    frameEthernet(buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 5000, dstPort: 207, payload: token([1, 2, 0xcf]) }).subarray(0, 24)),
    Uint8Array.from({ length: 60 }, (_, i) => (i * 37) & 0xff),
  ];
  const result = await runCli(['test', object, pcap(frames), '--json']);
  assert.equal(result.code, 0, result.stderr);
  const lines = jsonLines(result.stdout);
  assert.equal(lines.length, frames.length + 1);
  assert.deepEqual(lines[0], { index: 0, verdict: 'pass', challenge: null, status: null, tag: null });
  assert.deepEqual(lines[1], { index: 1, verdict: 'drop', challenge: null, status: null, tag: null });
  assert.deepEqual(lines[2], { index: 2, verdict: 'drop', challenge: null, status: null, tag: null });
  assert.deepEqual(lines[3], { index: 3, verdict: 'pass', challenge: null, status: null, tag: null });
  assert.equal(lines[4]!.ignored, 'non-udp');
  assert.ok(lines[5]!.ignored, 'a truncated header is not run');
  assert.ok(lines[6]!.ignored, 'random garbage is not run');
  assert.deepEqual(lines[7], { summary: { packets: 7, pass: 2, drop: 2, ignored: 3, errors: 0, challenges: 0, statusChanges: 0 } });
});

test('cli program verbs - test follows state across the capture (PFP example), writes annotated pcapng, traces', async () => {
  const object = await compile('pfp_example.c');
  const hello = buildUdpPacket({ src: '203.0.113.5', dst: '198.51.100.7', srcPort: 7000, dstPort: 4000, payload: 'hello there!' });
  const again = buildUdpPacket({ src: '203.0.113.5', dst: '198.51.100.7', srcPort: 7000, dstPort: 4000, payload: 'still hello!' });
  const capture = pcap([frameLinuxSll(hello), frameLinuxSll(again)], LinkType.LINUX_SLL);
  const out = join(dir, 'annotated.pcapng');
  const result = await runCli(['test', object, capture, '--json', '--out', out]);
  assert.equal(result.code, 0, result.stderr);
  const [first, second] = jsonLines(result.stdout);
  assert.equal(first!.verdict, 'drop');
  assert.match(String(first!.challenge), /^5046503f[0-9a-f]{16}$/); // "PFP?" + cookie
  assert.deepEqual(first!.status, { from: 0, to: 1, expiry: 1_800_000_000 + 60 });
  assert.equal(second!.verdict, 'drop');
  assert.equal(second!.status, null, 'not the cookie: dropped, never blocklisted (a spoofer could have sent it)');
  const annotated = [...readCapturePackets(new Uint8Array(readFileSync(out)))];
  assert.equal(annotated.length, 2);
  assert.match(annotated[0]!.comment ?? '', /^flowshield: drop challenge=5046503f[0-9a-f]+ status=NONE->CHALLENGED expiry=1800000060$/);

  const traced = await runCli(['test', object, capture, '--trace']);
  assert.equal(traced.code, 0, traced.stderr);
  assert.match(traced.stdout, /\[\s+0\] \S+/);
  assert.match(traced.stdout, /printf: pfp_example: status=/);
  assert.match(traced.stdout, /2 packets: 0 pass, 2 drop, 0 ignored/);
});

test('cli program verbs - test --bench prints ns/packet; bad captures and options fail with one line', async () => {
  const object = await compile('magic_token.c');
  const capture = pcap([frameEthernet(buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 5000, dstPort: 207, payload: token([0xcf]) }))]);
  const bench = await runCli(['test', object, capture, '--bench']);
  assert.equal(bench.code, 0, bench.stderr);
  assert.match(bench.stdout, /^interp: [\d.]+ ns\/packet/m);
  const garbage = join(dir, 'garbage.pcap');
  writeFileSync(garbage, 'this is not a capture at all');
  const bad = await runCli(['test', object, garbage]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /^flowshield: .*garbage\.pcap: .*\n$/);
  assert.match((await runCli(['test', object, capture, '--engine', 'jit'])).stderr, /--engine must be one of/);
  const pcapng = new PcapngWriter();
  const iface = pcapng.addInterface({ linkType: LinkType.RAW });
  pcapng.addPacket({ interfaceId: iface, timestampNs: T0, data: buildUdpPacket({ src: '192.0.2.1', dst: '198.51.100.7', srcPort: 1, dstPort: 207, payload: token([0xcf]) }) });
  writeFileSync(join(dir, 'raw.pcapng'), pcapng.toBytes());
  const ng = await runCli(['test', object, join(dir, 'raw.pcapng'), '--json']);
  assert.equal(jsonLines(ng.stdout)[0]!.verdict, 'pass');
});

test('cli program verbs - test runs the standard challenge: challenged, answered, verified; a tampered answer blocks nothing', async () => {
  const object = await compile('challenge.c');
  const from = (src: string, payload: Uint8Array | string) => frameEthernet(buildUdpPacket({ src, dst: '198.51.100.7', srcPort: 6000, dstPort: 207, payload }));
  const hello = new Uint8Array(80).fill(0x61);
  const first = jsonLines((await runCli(['test', object, pcap([from('192.0.2.50', hello)]), '--json'])).stdout);
  assert.equal(first[0]!.verdict, 'drop');
  assert.deepEqual(first[0]!.status, { from: 0, to: 1, expiry: 1_800_000_000 + 60 });
  const challenge = Buffer.from(String(first[0]!.challenge), 'hex');
  assert.equal(challenge.length, 57);
  const answer = encodeAnswer(challenge, solveChallenge(challenge));
  const forged = answer.slice();
  forged[50]! ^= 0xff; // inside the tag: refused whatever the solution
  // Same seed and clock: the replayed capture issues the same challenge, so the answer matches it.
  const result = await runCli(['test', object, pcap([from('192.0.2.50', hello), from('192.0.2.50', answer), from('192.0.2.50', 'game data'), from('192.0.2.51', hello), from('192.0.2.51', forged), from('192.0.2.51', 'game data')]), '--json']);
  const lines = jsonLines(result.stdout);
  assert.deepEqual(lines[1]!.status, { from: 1, to: 2, expiry: 1_800_000_000 + 3600 });
  assert.equal(lines[2]!.verdict, 'pass');
  assert.equal(lines[4]!.status, null, 'a bad tag is what a spoofer can send: no status change');
  assert.equal(lines[4]!.verdict, 'drop');
  assert.equal(lines[5]!.verdict, 'drop');
  // A trigger too small to carry a challenge gets none (never amplify).
  const small = jsonLines((await runCli(['test', object, pcap([from('192.0.2.52', 'hi')]), '--json'])).stdout);
  assert.equal(small[0]!.challenge, null);
});
