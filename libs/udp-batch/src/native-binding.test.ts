import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipToBytes16 } from '@flowshield/proto';
import { UdpBatchErrorCode as C } from './errors.js';
import { metaArray, setMeta } from './layout.js';
import { loadNative } from './load.js';

// The C file checks every argument itself: these calls bypass the TS checks and must throw with
// a code (never write outside a buffer, never crash the process).
const { binding, reason } = loadNative({});

test('udp-batch binding - the addon refuses bad arguments on its own', { skip: binding ? false : `no addon: ${reason}` }, () => {
  const b = binding!;
  const code = (f: () => unknown, c: string) => assert.throws(f, (e: { code?: string }) => e.code === c, c);
  const lo = ipToBytes16('127.0.0.1');
  code(() => b.open(5 as 4, lo, 0, false, false, 0, 0), C.ADDRESS);
  code(() => b.open(4, ipToBytes16('::1'), 0, false, false, 0, 0), C.ADDRESS);
  code(() => b.open(4, new Uint8Array(4), 0, false, false, 0, 0), C.ADDRESS);
  code(() => b.open(4, lo, -1, false, false, 0, 0), C.ARGUMENT);
  code(() => (b.open as unknown as (...a: unknown[]) => unknown)(4, lo), C.ARGUMENT);
  const h = b.open(4, lo, 0, false, false, 0, 0);
  try {
    const mem = new Uint8Array(1024);
    const meta = metaArray(16);
    code(() => b.recv({}, mem, 0, 64, 64, 1, meta), C.ARGUMENT); // not a socket handle
    code(() => b.recv(h, mem, 0, 64, 64, 17, meta), C.REGION);
    code(() => b.recv(h, mem, 1000, 64, 64, 1, meta), C.REGION);
    code(() => b.recv(h, mem, 0, 32, 64, 1, meta), C.STRIDE);
    code(() => b.recv(h, mem, 0, 64, 64, 16, metaArray(15)), C.META);
    code(() => b.recv(h, mem, 0, 64, 64, 1, new Uint8Array(64) as unknown as Uint32Array), C.ARGUMENT);
    code(() => b.recv(h, mem, 0.5, 64, 64, 1, meta), C.ARGUMENT);
    code(() => b.recv(h, 'x' as unknown as Uint8Array, 0, 64, 64, 1, meta), C.ARGUMENT);
    // A slot count near 2^32 must not wrap the bounds arithmetic.
    code(() => b.recv(h, mem, 0xffffffff, 0xffffffff, 1, 1, meta), C.REGION);
    setMeta(meta, 0, 1020, 10, lo, 9);
    code(() => b.send(h, mem, meta, 0, 1), C.REGION);
    setMeta(meta, 0, 0xffffffff, 0xffffffff, lo, 9);
    code(() => b.send(h, mem, meta, 0, 1), C.REGION);
    setMeta(meta, 0, 0, 10, ipToBytes16('::1'), 9);
    code(() => b.send(h, mem, meta, 0, 1), C.ADDRESS);
    code(() => b.send(h, mem, meta, 10, 7), C.META);
    code(() => b.startReadable(h, 1 as unknown as () => void), C.ARGUMENT);
    code(() => b.attachReusePortCbpf(h, new Uint8Array(0)), C.ARGUMENT);
    code(() => b.stats(h, new Float64Array(6)), C.ARGUMENT);
    assert.equal(b.recv(h, mem, 0, 64, 64, 16, meta), 0);
  } finally {
    b.close(h);
  }
  code(() => b.recv(h, new Uint8Array(64), 0, 64, 64, 1, metaArray(1)), C.CLOSED);
  b.close(h); // idempotent
});
