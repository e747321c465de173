import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadProgram } from './load-program.js';
import { ProgramInstance } from './instance.js';
import { compileC, EXAMPLES_DIR } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import type { ChallengeEngine } from '../abi/host.js';

const example = (name: string, mcpu = 'v3') => loadProgram(compileC(join(EXAMPLES_DIR, name), { mcpu }));
const token = (bytes: number[]) => [1, bytes.length >> 8, bytes.length & 0xff, ...bytes];

for (const mcpu of ['v1', 'v3']) {
  test(`examples - magic token passes only port 207 with a well-formed token ending in 0xCF (-mcpu=${mcpu})`, () => {
    const instance = new ProgramInstance(example('magic_token.c', mcpu), new FakeClockHost());
    const verdict = (p: ReturnType<typeof udp4>) => instance.run(p.ip, p.meta, 0).verdict;
    assert.equal(verdict(udp4({ dstPort: 207, payload: token([1, 2, 3, 0xcf]) })), 'pass');
    assert.equal(verdict(udp4({ dstPort: 207, payload: token([0xcf]) })), 'pass');
    assert.equal(verdict(udp4({ dstPort: 208, payload: token([1, 2, 3, 0xcf]) })), 'drop');
    assert.equal(verdict(udp4({ dstPort: 207, payload: token([1, 2, 3, 0xce]) })), 'drop');
    assert.equal(verdict(udp4({ dstPort: 207, payload: [1] })), 'drop');
    assert.equal(verdict(udp4({ dstPort: 207, payload: [1, 0, 9, 0xcf] })), 'drop'); // length says 9, one byte present
    assert.equal(verdict(udp4({ dstPort: 207, payload: token(Array(1400).fill(0xcf)) })), 'pass');
  });
}

test('examples - the challenge state machine: challenge, answer, verified; wrong answer, blocked', () => {
  const host = new FakeClockHost();
  const answers = new Map<string, number>();
  const engine: ChallengeEngine = {
    issue: () => new TextEncoder().encode('CHALLENGE'),
    verify: (meta) => answers.get(new TextDecoder().decode(meta.payload)) ?? 0,
  };
  answers.set('good answer', 1);
  answers.set('bad answer', -7);
  host.challenge = engine;
  const instance = new ProgramInstance(example('challenge.c'), host);
  const send = (src: number[], text: string) => {
    const p = udp4({ src, dstPort: 207, payload: new TextEncoder().encode(text) });
    return instance.run(p.ip, p.meta, host.now);
  };
  const first = send([10, 0, 0, 1], 'hello game server');
  assert.equal(first.verdict, 'drop');
  assert.equal(new TextDecoder().decode(first.effects.challenge!), 'CHALLENGE');
  assert.deepEqual(first.effects.statusChange, { from: 0, to: 1, expiry: host.now + 60 });
  const answered = send([10, 0, 0, 1], 'good answer');
  assert.deepEqual(answered.effects.statusChange, { from: 1, to: 2, expiry: host.now + 3600 });
  assert.equal(send([10, 0, 0, 1], 'game data').verdict, 'pass');
  assert.equal(send([10, 0, 0, 1], 'game data').effects.statusChange, null);

  send([10, 0, 0, 2], 'hello game server');
  const wrong = send([10, 0, 0, 2], 'bad answer');
  assert.deepEqual(wrong.effects.statusChange, { from: 1, to: 3, expiry: host.now + 600 });
  assert.equal(send([10, 0, 0, 2], 'game data').verdict, 'drop');
  // Expired status reads as no entry: the source is challenged again.
  host.now += 601;
  assert.equal(send([10, 0, 0, 2], 'hello again, long enough').effects.statusChange?.to, 1);
  assert.equal(host.counters.get(2), 1n);
  assert.equal(host.counters.get(3), 1n);
});

test('examples - tail check (socket filter) matches the last five payload bytes "xyzzy"', () => {
  const instance = new ProgramInstance(example('tail_check.c'), new FakeClockHost());
  const run = (text: string) => instance.run(udp4({ dstPort: 53, payload: new TextEncoder().encode(text) }).ip, udp4({ dstPort: 53, payload: [] }).meta, 0);
  assert.equal(run('hello xyzzy').verdict, 'pass');
  assert.equal(run('xyzzy').verdict, 'pass');
  assert.equal(run('hello xyzzz').verdict, 'drop');
  assert.equal(run('yzzy').verdict, 'drop');
});

test('examples - the rate limiter passes a burst of 200 then drops', () => {
  const host = new FakeClockHost();
  const instance = new ProgramInstance(example('rate_limit.c'), host);
  const p = udp4({ dstPort: 207, payload: [1, 2, 3] });
  const verdicts = Array.from({ length: 201 }, () => instance.run(p.ip, p.meta, host.now).verdict);
  assert.equal(verdicts.filter((v) => v === 'pass').length, 200);
  assert.equal(verdicts[200], 'drop');
  assert.equal(host.counters.get(10), 1n);
  host.now += 1; // 100 tokens later
  assert.equal(instance.run(p.ip, p.meta, host.now).verdict, 'pass');
});

test('examples - a PFP program written against PFP headers runs with the verdicts its author intended', () => {
  const host = new FakeClockHost();
  const instance = new ProgramInstance(example('pfp_example.c'), host);
  const src = [203, 0, 113, 5];
  const first = udp4({ src, dstPort: 4000, payload: new TextEncoder().encode('hello there!') });
  const r1 = instance.run(first.ip, first.meta, host.now);
  assert.equal(r1.verdict, 'drop');
  assert.equal(r1.effects.statusChange?.to, 1);
  const challenge = r1.effects.challenge!;
  assert.equal(new TextDecoder().decode(challenge.subarray(0, 4)), 'PFP?');
  const cookie = challenge.subarray(4, 12);
  const answer = udp4({ src, dstPort: 4000, payload: [...cookie, ...new TextEncoder().encode('PFP!')] });
  const r2 = instance.run(answer.ip, answer.meta, host.now);
  assert.equal(r2.verdict, 'pass');
  assert.equal(r2.effects.statusChange?.to, 2);
  assert.ok(host.printed.some((line) => /pfp_example: status=/.test(line)));
  const other = udp4({ src: [203, 0, 113, 6], dstPort: 4000, payload: new TextEncoder().encode('hello there!') });
  instance.run(other.ip, other.meta, host.now);
  const forged = udp4({ src: [203, 0, 113, 6], dstPort: 4000, payload: new TextEncoder().encode('not the cookie!') });
  assert.equal(instance.run(forged.ip, forged.meta, host.now).effects.statusChange?.to, 3);
});

test('examples - xdp flood guard keeps per-source counts in an LRU hash map', () => {
  const host = new FakeClockHost();
  const instance = new ProgramInstance(example('xdp_flood_guard.c'), host);
  const p = udp4({ dstPort: 207, payload: [1, 2, 3] });
  const verdicts = Array.from({ length: 3000 }, () => instance.run(p.ip, p.meta, host.now).verdict);
  assert.equal(verdicts[0], 'pass');
  assert.ok(verdicts.includes('drop'), 'a flood from one source is eventually dropped');
  const other = udp4({ src: [192, 0, 2, 99], dstPort: 207, payload: [1] });
  assert.equal(instance.run(other.ip, other.meta, host.now).verdict, 'pass');
});

test('examples - legacy packet loads (ldabs/ldind) of a socket filter read the packet, on both engines', () => {
  const source = `
#include <linux_compat.h>
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
SEC("socket") int udp_to_53(struct __sk_buff *skb)
{
    if (load_byte(skb, 9) != 17) return 0;          /* IPv4 protocol: UDP */
    if (load_half(skb, 22) != 53) return 0;         /* destination port, network order */
    return skb->len;
}`;
  const program = loadProgram(compileC(source, { inline: true }));
  for (const engine of ['interp', 'wasm'] as const) {
    const instance = new ProgramInstance(program, new FakeClockHost(), { engine });
    const dns = udp4({ dstPort: 53, payload: [1, 2, 3] });
    const other = udp4({ dstPort: 54, payload: [1, 2, 3] });
    assert.equal(instance.run(dns.ip, dns.meta, 0).verdict, 'pass', engine);
    assert.equal(instance.run(dns.ip, dns.meta, 0).r0, BigInt(dns.ip.length), engine);
    assert.equal(instance.run(other.ip, other.meta, 0).verdict, 'drop', engine);
  }
});
