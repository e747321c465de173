import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dgram, native } from './index.js';
import { metaArray } from './layout.js';
import { drain, peer, sendAll } from './testing.js';
import type { UdpBatchImpl } from './types.js';

// Random regions (valid and not) over real datagrams of random sizes: every call either throws a
// coded error or writes only inside its slots; the bytes around them never change.
function rng(seed: number) {
  return (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return Math.floor((seed / 2 ** 32) * n);
  };
}

for (const [name, impl] of [['native', native], ['dgram', dgram]] as [string, UdpBatchImpl | null][]) {
  test(`udp-batch ${name} - random regions and datagram sizes never write outside their slots`, { skip: impl ? false : 'the addon is not loaded' }, async () => {
    const sock = await impl!.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: 1 << 20 });
    const client = await peer('udp4', '127.0.0.1');
    const r = rng(17);
    const SIZE = 16 * 1024;
    const mem = new Uint8Array(SIZE);
    let checked = 0, refused = 0;
    try {
      for (let iter = 0; iter < 150; iter++) {
        mem.fill(0xee);
        const stride = 1 + r(3000);
        const slotSize = r(4) === 0 ? stride + 1 + r(10) : r(stride + 1);
        const region = { memory: mem, offset: r(SIZE), stride, slotSize, count: 1 + r(8) };
        const valid = slotSize <= stride && region.offset + (region.count - 1) * stride + slotSize <= SIZE;
        if (!valid) {
          assert.throws(() => sock.recv(region, metaArray(region.count)), (e: { code?: string }) => /^FS_ERR_UDPBATCH_(REGION|STRIDE)$/.test(e.code ?? ''));
          refused++;
          continue;
        }
        const sizes = Array.from({ length: Math.min(region.count, 1 + r(3)) }, () => r(1500));
        const done = drain(sock, region, metaArray(region.count), sizes.length);
        await sendAll(client, sizes.map((n) => new Uint8Array(n).fill(0x11)), sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(got.map((g) => g.dgramLength), sizes);
        assert.deepEqual(got.map((g) => g.length), sizes.map((n) => Math.min(n, slotSize)));
        for (let i = 0; i < SIZE; i++) {
          const rel = i - region.offset;
          const inSlot = rel >= 0 && rel < region.count * stride && rel % stride < slotSize && Math.floor(rel / stride) < sizes.length;
          if (!inSlot) assert.equal(mem[i], 0xee, `byte ${i} outside the slots changed (iteration ${iter})`);
        }
        checked++;
      }
      assert.ok(checked > 50 && refused > 10, `${checked} checked, ${refused} refused`);
    } finally {
      sock.close();
      client.close();
    }
  });
}
