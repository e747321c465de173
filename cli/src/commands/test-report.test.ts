import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUdpPacket, frameEthernet, LinkType, writePcap } from '../capture/index.js';
import { jsonLines, runCli, runCliProcess } from '../testing/run-cli.js';
import { compileSource } from './programs-cli.test-support.js';

// What `flowshield test` and `verify` tell the operator beyond verdicts: faults with their source
// line and the exit code under CI, refused helpers per packet, loops only the budget ends,
// --bench --json, objects from `asm`, and one-line usage errors.

const EXAMPLES = fileURLToPath(new URL('../../../programs/examples/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-report-'));
const T0 = 1_800_000_000n * 1_000_000_000n;

function capture(payloads: string[]): string {
  const path = join(dir, `capture-${Math.random().toString(36).slice(2)}.pcap`);
  const frames = payloads.map((payload) => frameEthernet(buildUdpPacket({ src: '192.0.2.9', dst: '198.51.100.7', srcPort: 6000, dstPort: 207, payload })));
  writeFileSync(path, writePcap(frames.map((data, i) => ({ timestampNs: T0 + BigInt(i) * 1_000_000n, data })), { linkType: LinkType.ETHERNET }));
  return path;
}


// A loop whose trip count comes from the packet: only the instruction budget ends it (line 6).
const SPIN_C = '#include <flowshield.h>\nSEC("flowshield") u64 cf_ebpf_main(struct fs_ctx *ctx)\n{\n    volatile u64 n = 0;\n    u64 limit = ctx->data_end - ctx->data;\n    while (n < limit * 1000000) n++;\n    return FS_PASS;\n}\n';

test('cli test - a fault names its source line; --fail-on-error (default under CI) makes it exit non-zero', async () => {
  const spin = await compileSource(dir, 'spin.c', SPIN_C);
  const cap = capture(['payload']);
  const verified = await runCli(['verify', spin, '--budget', '5000']);
  assert.equal(verified.code, 0, verified.stderr);
  assert.match(verified.stdout, /^warning: 1 loop bounded only by the instruction budget \(5000 per run; .*instruction \d+ → \d+ \(spin\.c:6\)$/m);
  const json = JSON.parse((await runCli(['verify', spin, '--json'])).stdout) as { loops: { source: string }[]; budget: number };
  assert.deepEqual(json.loops.map((l) => l.source), ['spin.c:6']);
  assert.equal(json.budget, 100_000);

  const plain = await runCli(['test', spin, cap, '--budget', '5000', '--json'], { env: { CI: '' } });
  assert.equal(plain.code, 0, 'outside CI a faulting packet is reported, not an exit code');
  const [packet] = jsonLines(plain.stdout);
  assert.match(String(packet!.error), /^instruction \d+ \(spin\.c:6\): .*budget/);
  assert.equal(packet!.verdict, 'drop');

  const strict = await runCli(['test', spin, cap, '--budget', '5000', '--fail-on-error']);
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /^flowshield: 1 of 1 packets faulted \(first: #0: instruction \d+ \(spin\.c:6\): [^\n]+\)\n$/);
  assert.match(strict.stdout, /1 program errors/, 'the report is still printed');
  assert.equal((await runCli(['test', spin, cap, '--budget', '5000'], { env: { CI: 'true' } })).code, 1, 'on by default under CI');
  assert.equal((await runCli(['test', spin, cap, '--budget', '5000', '--no-fail-on-error'], { env: { CI: 'true' } })).code, 0);
});

test('cli test - a challenge refused because larger than its trigger is named on its packet and in the summary', async () => {
  const object = join(dir, 'challenge.o');
  assert.equal((await runCli(['compile', join(EXAMPLES, 'challenge.c'), '-o', object])).code, 0);
  const cap = capture(['hi', 'a'.repeat(80)]);
  const lines = jsonLines((await runCli(['test', object, cap, '--json'])).stdout);
  assert.equal(lines[0]!.challenge, null);
  assert.deepEqual(lines[0]!.helperErrors, ['fs_issue_challenge: challenge refused: it is larger than its trigger (2 bytes of UDP payload)']);
  assert.ok(lines[1]!.challenge, 'a large enough trigger gets its challenge');
  assert.equal(lines[1]!.helperErrors, undefined);
  assert.equal((lines[2]!.summary as { helperErrors: number }).helperErrors, 1);
  const text = await runCli(['test', object, cap]);
  assert.match(text.stdout, /^#0 .*helper fs_issue_challenge: challenge refused: it is larger than its trigger/m);
  assert.match(text.stdout, /1 challenges, .*1 helper errors or refusals/);
});

test('cli test --bench --json prints one object of figures', async () => {
  const object = join(dir, 'magic.o');
  assert.equal((await runCli(['compile', join(EXAMPLES, 'magic_token.c'), '-o', object])).code, 0);
  const result = await runCli(['test', object, capture(['x']), '--bench', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, '', 'no progress off a terminal');
  const { bench } = JSON.parse(result.stdout) as { bench: { udpPackets: number; rounds: number; nsPerPacket: Record<string, number>; speedup: Record<string, number> } };
  assert.equal(bench.udpPackets, 1);
  assert.ok(bench.rounds > 0);
  for (const key of ['interp', 'wasm', 'wasmBatch']) assert.ok(bench.nsPerPacket[key]! > 0, key);
  assert.ok(bench.speedup.wasm > 0 && bench.speedup.wasmBatch > 0);
});

test('cli asm -o FILE.o writes an object that verify and test load; raw bytes are refused with a hint', async () => {
  const source = join(dir, 'pass.s');
  writeFileSync(source, 'mov %r0, 0\nexit\n');
  const object = join(dir, 'pass.o');
  const asm = JSON.parse((await runCli(['asm', source, '-o', object, '--json'])).stdout) as { format: string };
  assert.equal(asm.format, 'elf');
  const verified = JSON.parse((await runCli(['verify', object, '--json'])).stdout) as { ok: boolean; type: string; section: string };
  assert.deepEqual([verified.ok, verified.type, verified.section], [true, 'cf_ebpf_generic', 'cf_ebpf_generic']);
  assert.equal(jsonLines((await runCli(['test', object, capture(['x']), '--json'])).stdout)[0]!.verdict, 'pass');
  const flowshield = join(dir, 'pass-fs.o');
  assert.equal((await runCli(['asm', source, '-o', flowshield, '--section', 'flowshield'])).code, 0);
  assert.equal((JSON.parse((await runCli(['verify', flowshield, '--json'])).stdout) as { type: string }).type, 'flowshield');
  const raw = join(dir, 'pass.bin');
  assert.equal((await runCli(['asm', source, '-o', raw])).code, 0);
  const refused = await runCli(['verify', raw]);
  assert.match(refused.stderr, /^flowshield: \S+pass\.bin is not an ELF object \(raw instruction bytes\? `flowshield asm FILE\.s -o FILE\.o` writes an object\)\n$/);
});

test('cli - usage errors are one line, not the whole help (real process)', async () => {
  const missing = await runCliProcess(['test', join(dir, 'x.o')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "flowshield: missing required argument 'capture'\n");
  const unknown = await runCliProcess(['deploy', 'x.o', '--frobnicate']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr, "flowshield: unknown option '--frobnicate'\n");
  const verb = await runCli(['nosuchverb']);
  assert.match(verb.stderr, /^flowshield: unknown command 'nosuchverb'\n$/);
});
