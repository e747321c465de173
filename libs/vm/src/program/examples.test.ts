import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { loadProgram } from './load-program.js';
import { ProgramInstance } from './instance.js';
import { compileC, EXAMPLES_DIR } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import type { ChallengeEngine } from '../abi/host.js';
import { loadCompiler } from '../wasm/compiler.js';

await loadCompiler();

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

test('examples - the challenge state machine: challenge, answer, verified; spoofable rejections never block, a wrong proof of work does', () => {
  const host = new FakeClockHost();
  const answers = new Map<string, number>();
  const engine: ChallengeEngine = {
    challengeBytes: 9,
    issue: () => new TextEncoder().encode('CHALLENGE'),
    verify: (meta) => answers.get(new TextDecoder().decode(meta.payload)) ?? 0,
  };
  answers.set('good answer', 1);
  answers.set('bad solution', -9);
  // Every rejection an off-path spoofer can produce (flowshield.h FS_ANSWER_*).
  const spoofable = { malformed: -1, 'unknown key': -2, expired: -3, future: -4, 'wrong address': -5, 'wrong port': -6, 'bad tag': -7, 'below floor': -8, replayed: -10, 'filter full': -11 };
  for (const [text, code] of Object.entries(spoofable)) answers.set(text, code);
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

  // A victim that was challenged receives every spoofable rejection with its address: it stays
  // CHALLENGED (each is only dropped, counted and answered with a fresh challenge), then passes.
  const victim = udp4({ src: [10, 0, 0, 3], dstPort: 207, payload: [] }).meta.srcIp;
  send([10, 0, 0, 3], 'hello game server');
  for (const text of Object.keys(spoofable)) {
    const r = send([10, 0, 0, 3], text);
    assert.equal(r.verdict, 'drop', text);
    assert.equal(r.effects.statusChange, null, `${text} changes no status`);
    assert.equal(host.state.getStatus(victim, host.now)?.status, 1, `${text} leaves it CHALLENGED`);
  }
  assert.deepEqual(send([10, 0, 0, 3], 'good answer').effects.statusChange, { from: 1, to: 2, expiry: host.now + 3600 });
  // Unknown sources are not blocked by a spoofable rejection either: they become CHALLENGED.
  assert.equal(send([10, 0, 0, 4], 'bad tag').effects.statusChange?.to, 1);

  send([10, 0, 0, 2], 'hello game server');
  const wrong = send([10, 0, 0, 2], 'bad solution');
  assert.deepEqual(wrong.effects.statusChange, { from: 1, to: 3, expiry: host.now + 600 });
  assert.equal(send([10, 0, 0, 2], 'game data').verdict, 'drop');
  // Expired status reads as no entry: the source is challenged again.
  host.now += 601;
  assert.equal(send([10, 0, 0, 2], 'hello again, long enough').effects.statusChange?.to, 1);
  assert.equal(host.counters.get(2), 2n);
  assert.equal(host.counters.get(3), BigInt(Object.keys(spoofable).length + 2));
  assert.equal(host.counters.get(4), 1n);
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
  // A spoofer's packet with a victim's address: the challenge goes to the spoofer's port, never seen.
  const spoofed = udp4({ src: [203, 0, 113, 6], srcPort: 1111, dstPort: 4000, payload: new TextEncoder().encode('hello there!') });
  const firstChallenge = Buffer.from(instance.run(spoofed.ip, spoofed.meta, host.now).effects.challenge!);
  // A wrong cookie (what a spoofer sends with the victim's address) is dropped and blocks nothing.
  const forged = udp4({ src: [203, 0, 113, 6], dstPort: 4000, payload: new TextEncoder().encode('not the cookie!') });
  const r3 = instance.run(forged.ip, forged.meta, host.now);
  assert.equal(r3.verdict, 'drop');
  assert.equal(r3.effects.statusChange, null);
  assert.equal(host.state.getStatus(forged.meta.srcIp, host.now)?.status, 1);
  // The victim's own packet gets the cookie again, on its own port, and it gets in.
  const victim = udp4({ src: [203, 0, 113, 6], srcPort: 2222, dstPort: 4000, payload: new TextEncoder().encode('hello there!') });
  const resent = instance.run(victim.ip, victim.meta, host.now).effects.challenge!;
  assert.deepEqual(Buffer.from(resent), firstChallenge, 'the same cookie, sent again');
  const victimAnswer = udp4({ src: [203, 0, 113, 6], srcPort: 2222, dstPort: 4000, payload: [...resent.subarray(4, 12), ...new TextEncoder().encode('PFP!')] });
  assert.equal(instance.run(victimAnswer.ip, victimAnswer.meta, host.now).verdict, 'pass');
});

test('examples - cookie: the HMAC key and replies; no key, no reply; a refused reply is not sent; a wrong cookie blocks nothing', () => {
  const host = new FakeClockHost();
  host.hmacKey = null;
  const instance = new ProgramInstance(example('cookie.c'), host);
  const src = [198, 51, 100, 9];
  const hello = udp4({ src, srcPort: 5000, dstPort: 207, payload: new Uint8Array(40).fill(0x61) });
  const run = (p: ReturnType<typeof udp4>) => instance.run(p.ip, p.meta, host.now);
  const noKey = run(hello);
  assert.equal(noKey.effects.reply, null, 'no key: no MAC under any other key, no reply');
  assert.equal(host.counters.get(3), 1n);
  host.hmacKey = new Uint8Array(32).fill(9);
  // HMAC(address, source port, destination port, minute slot as 8 bytes big-endian)
  const cookieAt = (seconds: number) => {
    const slot = Buffer.alloc(8);
    slot.writeBigUInt64BE(BigInt(Math.floor(seconds / 60)));
    return createHmac('sha256', host.hmacKey!).update(Uint8Array.of(...hello.meta.srcIp, 5000 >> 8, 5000 & 0xff, 207 >> 8, 207 & 0xff, ...slot)).digest();
  };
  const expected = cookieAt(host.now);
  const replied = run(hello);
  assert.equal(replied.verdict, 'drop');
  assert.deepEqual(Buffer.from(replied.effects.reply!), Buffer.concat([Buffer.from('CK?'), expected]));
  assert.equal(run(udp4({ src, srcPort: 5000, dstPort: 207, payload: new Uint8Array(20) })).effects.reply, null, 'never larger than the trigger');
  host.repliesAllowed = false;
  assert.equal(run(hello).effects.reply, null, 'a refused reply is not sent');
  assert.equal(host.counters.get(2), 1n);
  host.repliesAllowed = true;
  const wrong = run(udp4({ src, srcPort: 5000, dstPort: 207, payload: [...Buffer.from('CK!'), ...Buffer.alloc(32, 1)] }));
  assert.equal(wrong.effects.statusChange, null);
  assert.equal(host.counters.get(4), 1n);
  const other = run(udp4({ src, srcPort: 5001, dstPort: 207, payload: [...Buffer.from('CK!'), ...expected] }));
  assert.equal(other.effects.statusChange, null, 'a cookie is bound to its port');
  assert.equal(run(udp4({ src, srcPort: 5000, dstPort: 208, payload: [...Buffer.from('CK!'), ...expected] })).effects.statusChange, null, 'and to the service port');
  // A cookie lasts its minute and the next: two minutes on, it verifies nothing.
  const start = host.now;
  host.now = start + 120;
  assert.equal(run(udp4({ src, srcPort: 5000, dstPort: 207, payload: [...Buffer.from('CK!'), ...expected] })).effects.statusChange, null, 'an old cookie expired');
  host.now = start + 60;
  const right = run(udp4({ src, srcPort: 5000, dstPort: 207, payload: [...Buffer.from('CK!'), ...expected] }));
  assert.equal(right.effects.statusChange?.to, 2, 'the previous minute\'s cookie still verifies');
  assert.equal(run(hello).verdict, 'pass');
  assert.notDeepEqual(cookieAt(start + 60), expected, 'the reply changes with the minute');
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

test('examples - packets run in place (runSlots) give what runBatch gives over copies: verdicts, effects, state', () => {
  const answers = new Map([['good answer', 1], ['bad solution', -9]]);
  const newHost = () => {
    const host = new FakeClockHost();
    host.challenge = { challengeBytes: 9, issue: () => new TextEncoder().encode('CHALLENGE'), verify: (meta) => answers.get(new TextDecoder().decode(meta.payload)) ?? 0 };
    return host;
  };
  const texts = ['hello game server', 'good answer', 'game data', 'bad solution', 'x'];
  const packets = Array.from({ length: 40 }, (_, i) => udp4({ src: [10, 0, 0, 1 + (i % 7)], dstPort: 207, payload: new TextEncoder().encode(texts[i % texts.length]!) }));
  const program = example('challenge.c');
  const copyHost = newHost();
  const placeHost = newHost();
  const copy = new ProgramInstance(program, copyHost, { batchCapacity: 16 });
  const place = new ProgramInstance(program, placeHost, { batchCapacity: 16 });
  const slots = place.slots!;
  for (let base = 0; base < packets.length; base += slots.capacity) {
    const chunk = packets.slice(base, base + slots.capacity);
    const expected = copy.runBatch(chunk, copyHost.now);
    const want = chunk.map((_, i) => [expected.verdicts[i], expected.r0(i), expected.steps[i], expected.effects[i]?.statusChange ?? null, expected.effects[i]?.challenge ?? null]);
    chunk.forEach((p, i) => {
      slots.bytes.set(p.ip, slots.first + i * slots.stride);
      place.setSlotLength(i, p.ip.length);
    });
    const got = place.runSlots(chunk.length, chunk.map((p) => p.meta), placeHost.now);
    assert.deepEqual(chunk.map((_, i) => [got.verdicts[i], got.r0(i), got.steps[i], got.effects[i]?.statusChange ?? null, got.effects[i]?.challenge ?? null]), want, `packets ${base}..`);
  }
  assert.throws(() => place.runSlots(slots.capacity + 1, [], 0), RangeError);
});
