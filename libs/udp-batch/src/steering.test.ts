import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipToBytes16 } from '@flowshield/proto';
import { native } from './index.js';
import { metaArray } from './layout.js';
import { runSteering, steeringProgram, STEERING_MAX_SOURCES } from './steering.js';
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
