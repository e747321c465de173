import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipToBytes16 } from '@flowshield/proto';
import { native } from './index.js';
import { metaArray } from './layout.js';
import { runSteering, steeringProgram, STEERING_MAX_SOURCES, workerOf } from './steering.js';
import { closeAll, drain, peer, sendAll } from './testing.js';

const v4 = (n: number) => ipToBytes16(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);

test('udp-batch steering - the search tree answers known for every known source and other for the rest', () => {
  for (const size of [0, 1, 7, 8, 9, 100, 1000, STEERING_MAX_SOURCES]) {
    const known = Array.from({ length: size }, (_, i) => (0x7f000000 + i * 7919 + 3) >>> 0);
    const { program, steered } = steeringProgram({ known: known.map(v4), knownIndex: 1, otherIndex: 0 });
    assert.equal(steered, size);
    assert.ok(program.length / 8 <= 4096, `${size} sources: ${program.length / 8} instructions`);
    for (const a of known) assert.equal(runSteering(program, 4, a), 1, `known ${a}`);
    for (const a of known.slice(0, 50)) assert.equal(runSteering(program, 4, a + 1), 0, `unknown ${a + 1}`);
    assert.equal(runSteering(program, 4, 0), 0);
    assert.equal(runSteering(program, 4, 0xffffffff), 0);
    assert.equal(runSteering(program, 6, known[0] ?? 0), 0, 'IPv6 goes to other');
  }
  assert.throws(() => steeringProgram({ known: Array.from({ length: STEERING_MAX_SOURCES + 1 }, (_, i) => v4(i)), knownIndex: 1, otherIndex: 0 }),
    (e: { code?: string }) => e.code === 'FS_ERR_UDPBATCH_ARGUMENT');
  assert.equal(steeringProgram({ known: [ipToBytes16('::1')], knownIndex: 1, otherIndex: 0 }).skipped, 1);
});

test('udp-batch steering - the kernel sends known sources to their own socket', { skip: native ? false : 'needs the addon' }, async () => {
  const other = await native!.open({ type: 'udp4', address: '127.0.0.1', reusePort: true });
  const port = other.address().port;
  const known = await native!.open({ type: 'udp4', address: '127.0.0.1', port, reusePort: true });
  const friends = await Promise.all(Array.from({ length: 4 }, () => peer('udp4', '127.0.0.2')));
  const strangers = await Promise.all(Array.from({ length: 8 }, () => peer('udp4', '127.0.0.1')));
  try {
    const { program } = steeringProgram({ known: [ipToBytes16('127.0.0.2'), ipToBytes16('10.0.0.1')], knownIndex: 1, otherIndex: 0 });
    other.attachReusePortProgram(program);
    const region = () => ({ memory: new ArrayBuffer(64 * 32), offset: 0, stride: 64, count: 32 });
    const gotKnown = drain(known, region(), metaArray(32), 4);
    const gotOther = drain(other, region(), metaArray(32), 8);
    for (const c of [...friends, ...strangers]) await sendAll(c, [Uint8Array.of(1)], port, '127.0.0.1');
    const k = await gotKnown, o = await gotOther;
    assert.ok(k.got.every((g) => g.address.equals(Buffer.from(ipToBytes16('127.0.0.2')))));
    assert.ok(o.got.every((g) => g.address.equals(Buffer.from(ipToBytes16('127.0.0.1')))));
  } finally {
    closeAll(other, known, ...friends, ...strangers);
  }
});

test('udp-batch steering - with workers, every IPv4 source goes to its worker\'s pair: known or other', () => {
  for (const workers of [2, 3, 8]) {
    for (const size of [0, 1, 9, 1000, STEERING_MAX_SOURCES]) {
      const known = Array.from({ length: size }, (_, i) => (0x7f000000 + i * 7919 + 3) >>> 0);
      const { program } = steeringProgram({ known: known.map(v4), knownIndex: 1, otherIndex: 0, workers });
      assert.ok(program.length / 8 <= 4096, `${size} sources, ${workers} workers: ${program.length / 8} instructions`);
      for (const a of known) assert.equal(runSteering(program, 4, a), 2 * workerOf(a, workers) + 1, `known ${a}`);
      for (const a of known.slice(0, 50)) assert.equal(runSteering(program, 4, a + 1), 2 * workerOf(a + 1, workers), `unknown ${a + 1}`);
      assert.equal(runSteering(program, 6, known[0] ?? 0), 0, 'IPv6 goes to other');
    }
    // Sources spread over every worker.
    const seen = new Set(Array.from({ length: 64 }, (_, i) => workerOf(0x7f000a00 + i, workers)));
    assert.equal(seen.size, workers);
  }
});

test('udp-batch steering - the kernel spreads sources over two workers\' pairs, known ones to their worker\'s own socket', { skip: native ? false : 'needs the addon' }, async () => {
  // Bind order is the group index: worker 0 (other 0, known 1), worker 1 (other 2, known 3).
  const group = [await native!.open({ type: 'udp4', address: '127.0.0.1', reusePort: true })];
  const port = group[0]!.address().port;
  for (let i = 1; i < 4; i++) group.push(await native!.open({ type: 'udp4', address: '127.0.0.1', port, reusePort: true }));
  const host = (n: number) => `127.0.0.${n}`;
  const hostOrder = (n: number) => (0x7f000000 + n) >>> 0;
  const sources = [2, 3, 4, 5, 6, 7];
  const known = [2, 3, 4];
  const peers = await Promise.all(sources.map((n) => peer('udp4', host(n))));
  try {
    group[0]!.attachReusePortProgram(steeringProgram({ known: known.map((n) => ipToBytes16(host(n))), knownIndex: 1, otherIndex: 0, workers: 2 }).program);
    const expected = (n: number) => 2 * workerOf(hostOrder(n), 2) + (known.includes(n) ? 1 : 0);
    const want = group.map((_, index) => sources.filter((n) => expected(n) === index).length);
    const region = () => ({ memory: new ArrayBuffer(64 * 32), offset: 0, stride: 64, count: 32 });
    const got = group.map((s, index) => drain(s, region(), metaArray(32), want[index]!));
    for (const p of peers) await sendAll(p, [Uint8Array.of(1)], port, '127.0.0.1');
    const results = await Promise.all(got);
    results.forEach((r, index) => {
      const from = r.got.map((g) => g.address.toString('hex')).sort();
      assert.deepEqual(from, sources.filter((n) => expected(n) === index).map((n) => Buffer.from(ipToBytes16(host(n))).toString('hex')).sort(), `socket ${index}`);
    });
  } finally {
    closeAll(...group, ...peers);
  }
});
