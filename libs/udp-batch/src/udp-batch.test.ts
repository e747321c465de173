import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, test } from 'node:test';
import { ipToBytes16 } from '@flowshield/proto';
import { dgram, native, nativeUnavailableReason } from './index.js';
import { META_WORDS, Meta, metaArray, setMeta } from './layout.js';
import { Outbox } from './outbox.js';
import { closeAll, collect, drain, peer, sendAll, WasmMemory } from './testing.js';
import type { UdpBatchImpl } from './types.js';
import { UdpBatchErrorCode as C } from './errors.js';

// The same cases over both implementations; where one differs on purpose, the skip says why.
const impls: [string, UdpBatchImpl | null][] = [['native', native], ['dgram', dgram]];
const FAMILIES = [['udp4', '127.0.0.1'], ['udp6', '::1']] as const;

const payload = (i: number, len: number) => Uint8Array.from({ length: len }, (_, k) => (i * 31 + k) & 0xff);
const rejectsCode = async (p: Promise<unknown>, code: string) => assert.rejects(p, (e: { code?: string }) => e.code === code);
const throwsCode = (f: () => unknown, code: string) => assert.throws(f, (e: { code?: string }) => e.code === code);

for (const [name, impl] of impls) {
  const skip = impl === null ? `the addon is not loaded: ${nativeUnavailableReason}` : false;
  describe(`udp-batch ${name}`, { skip }, () => {
    const I = impl!;

    for (const [type, lo] of FAMILIES) {
      test(`udp-batch ${name} - ${type}: a batch lands in wasm-memory slots in order, with sources, ports and lengths`, async () => {
        const sock = await I.open({ type, address: lo });
        const client = await peer(type, lo);
        try {
          const memory = new WasmMemory({ initial: 2, maximum: 4, shared: true });
          const region = { memory, offset: 4096 + 28, stride: 256, slotSize: 200, count: 16 };
          const meta = metaArray(16);
          const payloads = Array.from({ length: 40 }, (_, i) => payload(i, 1 + ((i * 37) % 200)));
          const done = drain(sock, region, meta, payloads.length);
          await sendAll(client, payloads, sock.address().port, lo);
          const { got, calls } = await done;
          assert.equal(got.length, payloads.length);
          assert.ok(calls.every((n) => n <= 16));
          const want = ipToBytes16(lo);
          got.forEach((g, i) => {
            assert.deepEqual(new Uint8Array(g.data), payloads[i], `datagram ${i}`);
            assert.equal(g.length, payloads[i]!.length);
            assert.equal(g.dgramLength, payloads[i]!.length);
            assert.equal(g.port, client.address().port);
            assert.deepEqual(new Uint8Array(g.address), want);
            assert.equal((g.offset - region.offset) % region.stride, 0);
          });
          assert.equal(sock.stats().received, payloads.length);
          assert.equal(sock.stats().truncated, 0);
        } finally {
          closeAll(sock, client);
        }
      });

      test(`udp-batch ${name} - ${type}: one send call delivers a batch from the memory`, async () => {
        const sock = await I.open({ type, address: lo });
        const server = await peer(type, lo);
        try {
          const memory = new ArrayBuffer(64 * 1024);
          const bytes = new Uint8Array(memory);
          const n = 50;
          const meta = metaArray(n);
          const dest = ipToBytes16(lo);
          const payloads = Array.from({ length: n }, (_, i) => payload(i, 1 + i * 13));
          let at = 100;
          payloads.forEach((p, i) => { bytes.set(p, at); setMeta(meta, i, at, p.length, dest, server.address().port); at += p.length; });
          const arrived = collect(server, n);
          assert.equal(sock.send(memory, meta), n);
          const got = await arrived;
          const byLen = new Map(got.map((g) => [g.msg.length, g]));
          for (const p of payloads) assert.deepEqual(new Uint8Array(byLen.get(p.length)!.msg), p);
          assert.ok(got.every((g) => g.port === sock.address().port));
        } finally {
          closeAll(sock, server);
        }
      });
    }

    test(`udp-batch ${name} - an outbox gathers built datagrams and sends them in one call`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const server = await peer('udp4', '127.0.0.1');
      try {
        const out = new Outbox(sock, { records: 4, bytes: 100 });
        const to = ipToBytes16('127.0.0.1');
        const port = server.address().port;
        assert.ok(out.push(payload(1, 10), to, port));
        out.reserve(20, to, port)!.set(payload(2, 20));
        assert.ok(out.push(payload(3, 70), to, port));
        assert.equal(out.push(payload(4, 1), to, port), false, 'arena full');
        const arrived = collect(server, 3);
        assert.deepEqual(out.flush(), { sent: 3, dropped: 0 });
        assert.equal(out.length, 0);
        assert.deepEqual((await arrived).map((g) => g.msg.length).sort((a, b) => a - b), [10, 20, 70]);
        for (let i = 0; i < 4; i++) assert.ok(out.push(payload(i, 1), to, port));
        assert.equal(out.push(payload(5, 1), to, port), false, 'records full');
        assert.deepEqual(out.flush(), { sent: 4, dropped: 0 });
        assert.deepEqual(out.flush(), { sent: 0, dropped: 0 });
      } finally {
        closeAll(sock, server);
      }
    });

    test(`udp-batch ${name} - udp6 dual stack: IPv4 sources arrive IPv4-mapped and replies go back to them`, async () => {
      const sock = await I.open({ type: 'udp6', address: '::' });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const memory = new Uint8Array(4096);
        const meta = metaArray(4);
        const done = drain(sock, { memory, offset: 0, stride: 512, count: 4 }, meta, 1);
        await sendAll(client, [payload(1, 10)], sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(new Uint8Array(got[0]!.address), ipToBytes16('127.0.0.1'));
        // Echo: the received record is the reply record.
        const back = collect(client, 1);
        assert.equal(sock.send(memory, meta, 0, 1), 1);
        assert.deepEqual(new Uint8Array((await back)[0]!.msg), payload(1, 10));
      } finally {
        closeAll(sock, client);
      }
    });

    test(`udp-batch ${name} - a connected socket hears only its peer and sends to it`, async () => {
      const origin = await peer('udp4', '127.0.0.1');
      const stranger = await peer('udp4', '127.0.0.1');
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1', connect: { address: '127.0.0.1', port: origin.address().port } });
      try {
        const memory = new Uint8Array(4096);
        const meta = metaArray(8);
        const done = drain(sock, { memory, offset: 0, stride: 512, count: 8 }, meta, 1);
        await sendAll(stranger, [payload(9, 9)], sock.address().port, '127.0.0.1'); // refused by the kernel
        await new Promise((r) => setTimeout(r, 20));
        await sendAll(origin, [payload(1, 5)], sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(new Uint8Array(got[0]!.data), payload(1, 5));
        assert.equal(sock.recv({ memory, offset: 0, stride: 512, count: 8 }, meta), 0);
        const back = collect(origin, 1);
        memory.set(payload(2, 7), 0);
        setMeta(meta, 0, 0, 7, new Uint8Array(16), 0); // no destination: the peer
        assert.equal(sock.send(memory, meta, 0, 1), 1);
        assert.deepEqual(new Uint8Array((await back)[0]!.msg), payload(2, 7));
      } finally {
        closeAll(sock, origin, stranger);
      }
      await rejectsCode(I.open({ type: 'udp4', connect: { address: '::1', port: 9 } }), C.ADDRESS);
    });

    test(`udp-batch ${name} - ICMP errors on a connected socket are counted, never thrown, and readiness goes on`, async () => {
      const gone = await peer('udp4', '127.0.0.1');
      const port = gone.address().port;
      gone.close(); // nothing listens there now: sends draw ICMP port unreachable
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1', connect: { address: '127.0.0.1', port } });
      try {
        const memory = new Uint8Array(4096);
        const meta = metaArray(8);
        const seen: number[] = [];
        // One handler throughout: an error must not stop readiness (libuv stops a poll on POLLERR).
        sock.onReadable(() => {
          const n = sock.recv({ memory, offset: 0, stride: 512, count: 8 }, meta);
          for (let i = 0; i < n; i++) seen.push(meta[i * META_WORDS + Meta.LENGTH]!);
        });
        const out = metaArray(1);
        setMeta(out, 0, 4000, 4, new Uint8Array(16), 0);
        for (let i = 0; i < 3; i++) {
          sock.send(memory, out, 0, 1);
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(sock.stats().peerErrors > 0, `peerErrors ${sock.stats().peerErrors}`);
        // The origin comes back on the same port: its datagrams still arrive through the same handler.
        const back = await new Promise<import('node:dgram').Socket>((resolve, reject) => {
          const s = createSocket('udp4');
          s.once('error', reject);
          s.bind(port, '127.0.0.1', () => resolve(s));
        });
        try {
          await sendAll(back, [payload(5, 5)], sock.address().port, '127.0.0.1');
          for (let t = 0; t < 500 && seen.length === 0; t++) await new Promise((r) => setTimeout(r, 10));
          assert.deepEqual(seen, [5]);
        } finally {
          back.close();
        }
      } finally {
        sock.close();
      }
    });

    test(`udp-batch ${name} - a datagram the kernel refuses alone (too big) is skipped and counted; the rest of the batch goes`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const server = await peer('udp4', '127.0.0.1');
      try {
        const memory = new ArrayBuffer(80_000);
        const meta = metaArray(3);
        const to = ipToBytes16('127.0.0.1');
        setMeta(meta, 0, 0, 10, to, server.address().port);
        setMeta(meta, 1, 0, 70_000, to, server.address().port); // over UDP's 65,507-byte limit
        setMeta(meta, 2, 0, 20, to, server.address().port);
        const arrived = collect(server, 2);
        assert.equal(sock.send(memory, meta), 3);
        assert.deepEqual((await arrived).map((g) => g.msg.length).sort((a, b) => a - b), [10, 20]);
        for (let t = 0; t < 200 && sock.stats().sendErrors === 0; t++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(sock.stats().sendErrors, 1);
      } finally {
        closeAll(sock, server);
      }
    });

    test(`udp-batch ${name} - a datagram longer than its slot is cut to the slot, counted, and never overflows`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const memory = new Uint8Array(4 * 128).fill(0xee);
        const meta = metaArray(4);
        const done = drain(sock, { memory, offset: 0, stride: 128, slotSize: 64, count: 4 }, meta, 3);
        await sendAll(client, [payload(1, 100), payload(2, 64), payload(3, 65)], sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(got.map((g) => [g.length, g.dgramLength]), [[64, 100], [64, 64], [64, 65]]);
        assert.deepEqual(new Uint8Array(got[0]!.data), payload(1, 100).subarray(0, 64));
        for (let s = 0; s < 4; s++) assert.ok(memory.subarray(s * 128 + 64, s * 128 + 128).every((b) => b === 0xee), `slot ${s} tail untouched`);
        assert.equal(sock.stats().truncated, 2);
      } finally {
        closeAll(sock, client);
      }
    });

    test(`udp-batch ${name} - zero-length datagrams are received and sent`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const memory = new Uint8Array(1024);
        const meta = metaArray(8);
        const done = drain(sock, { memory, offset: 0, stride: 128, count: 8 }, meta, 3);
        await sendAll(client, [new Uint8Array(0), payload(1, 3), new Uint8Array(0)], sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(got.map((g) => g.length), [0, 3, 0]);
        assert.deepEqual(got.map((g) => g.dgramLength), [0, 3, 0]);
        const back = collect(client, 2);
        assert.equal(sock.send(memory, meta, 0, 3), 3); // replies: empty, 3 bytes, empty
        assert.deepEqual((await back).map((g) => g.msg.length).sort(), [0, 3]);
      } finally {
        closeAll(sock, client);
      }
    });

    test(`udp-batch ${name} - recv with nothing waiting returns 0 at once`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      try {
        assert.equal(sock.recv({ memory: new ArrayBuffer(1024), offset: 0, stride: 64, count: 16 }, metaArray(16)), 0);
      } finally {
        sock.close();
      }
    });

    test(`udp-batch ${name} - reusePort: two sockets bound to one port both receive`, { skip: I.capabilities.reusePort ? false : `dgram has no reusePort before Node 22.12 (this is ${process.version})` }, async () => {
      const a = await I.open({ type: 'udp4', address: '127.0.0.1', reusePort: true });
      const port = a.address().port;
      const b = await I.open({ type: 'udp4', address: '127.0.0.1', port, reusePort: true });
      // The kernel spreads by a hash of the source: 32 sources all landing on one socket is 2^-31.
      const clients = await Promise.all(Array.from({ length: 32 }, () => peer('udp4', '127.0.0.1')));
      try {
        const region = { memory: new ArrayBuffer(64 * 64), offset: 0, stride: 64, count: 64 };
        const ma = metaArray(64), mb = metaArray(64);
        let na = 0, nb = 0;
        const all = new Promise<void>((resolve) => {
          const check = () => { if (na + nb === 32) resolve(); };
          a.onReadable(() => { na += a.recv(region, ma); check(); });
          b.onReadable(() => { nb += b.recv(region, mb); check(); });
        });
        for (const c of clients) await sendAll(c, [payload(1, 8)], port, '127.0.0.1');
        await all;
        assert.ok(na > 0 && nb > 0, `both receive (a ${na}, b ${nb})`);
      } finally {
        closeAll(a, b, ...clients);
      }
    });

    test(`udp-batch ${name} - reusePort where the implementation cannot share a port fails with UNSUPPORTED, not a silent bind`, { skip: I.capabilities.reusePort ? 'this implementation shares ports' : false }, async () => {
      await rejectsCode(I.open({ type: 'udp4', address: '127.0.0.1', reusePort: true }), C.UNSUPPORTED);
    });

    test(`udp-batch ${name} - without reusePort a second bind of the port fails with EADDRINUSE`, async () => {
      const a = await I.open({ type: 'udp4', address: '127.0.0.1' });
      try {
        await assert.rejects(I.open({ type: 'udp4', address: '127.0.0.1', port: a.address().port }),
          (e: { code?: string; errno?: string }) => e.code === C.SYSCALL && e.errno === 'EADDRINUSE');
      } finally {
        a.close();
      }
    });

    test(`udp-batch ${name} - reuse-port steering program`, { skip: I.capabilities.steering ? false : 'SO_ATTACH_REUSEPORT_CBPF needs the addon' }, async () => {
      const a = await I.open({ type: 'udp4', address: '127.0.0.1', reusePort: true });
      const port = a.address().port;
      const b = await I.open({ type: 'udp4', address: '127.0.0.1', port, reusePort: true });
      const clients = await Promise.all(Array.from({ length: 16 }, () => peer('udp4', '127.0.0.1')));
      try {
        // One instruction, BPF_RET | BPF_K (0x06) with k = 1: every datagram to the group's second socket.
        const prog = new Uint8Array(8);
        new DataView(prog.buffer).setUint16(0, 0x06, true);
        new DataView(prog.buffer).setUint32(4, 1, true);
        a.attachReusePortProgram(prog);
        const region = { memory: new ArrayBuffer(64 * 64), offset: 0, stride: 64, count: 64 };
        const done = drain(b, region, metaArray(64), 16);
        for (const c of clients) await sendAll(c, [payload(1, 8)], port, '127.0.0.1');
        await done;
        assert.equal(a.recv(region, metaArray(64)), 0);
        throwsCode(() => a.attachReusePortProgram(new Uint8Array(5)), C.ARGUMENT);
      } finally {
        closeAll(a, b, ...clients);
      }
    });

    test(`udp-batch ${name} - steering where the implementation cannot fails with UNSUPPORTED`, { skip: I.capabilities.steering ? 'this implementation steers' : false }, async () => {
      const a = await I.open({ type: 'udp4', address: '127.0.0.1' });
      try {
        throwsCode(() => a.attachReusePortProgram(new Uint8Array(8)), C.UNSUPPORTED);
      } finally {
        a.close();
      }
    });

    test(`udp-batch ${name} - closing: idempotent, calls then throw CLOSED, the port is free, readiness stops`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const port = sock.address().port;
      let fired = 0;
      sock.onReadable(() => { fired++; });
      sock.close();
      sock.close();
      assert.equal(sock.closed, true);
      const region = { memory: new ArrayBuffer(1024), offset: 0, stride: 64, count: 4 };
      throwsCode(() => sock.recv(region, metaArray(4)), C.CLOSED);
      throwsCode(() => sock.send(new ArrayBuffer(8), metaArray(1)), C.CLOSED);
      throwsCode(() => sock.onReadable(() => {}), C.CLOSED);
      assert.equal(typeof sock.stats().received, 'number');
      const again = await I.open({ type: 'udp4', address: '127.0.0.1', port });
      const client = await peer('udp4', '127.0.0.1');
      await sendAll(client, [payload(1, 4)], port, '127.0.0.1');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(fired, 0);
      closeAll(again, client);
    });

    test(`udp-batch ${name} - bad arguments throw with a code and never crash`, async () => {
      await rejectsCode(I.open({ type: 'udp4', address: 'not-an-ip' }), C.ADDRESS);
      await rejectsCode(I.open({ type: 'udp4', address: '::1' }), C.ADDRESS);
      await rejectsCode(I.open({ type: 'udp5' as 'udp4' }), C.ARGUMENT);
      await rejectsCode(I.open({ type: 'udp4', port: 70000 }), C.ARGUMENT);
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      try {
        const memory = new ArrayBuffer(1024);
        throwsCode(() => sock.recv({ memory, offset: 0, stride: 128, count: 9 }, metaArray(9)), C.REGION);
        throwsCode(() => sock.recv({ memory, offset: 1000, stride: 64, count: 1 }, metaArray(1)), C.REGION);
        throwsCode(() => sock.recv({ memory, offset: 0, stride: 32, slotSize: 64, count: 4 }, metaArray(4)), C.STRIDE);
        throwsCode(() => sock.recv({ memory, offset: 0, stride: 64, count: 4 }, metaArray(3)), C.META);
        throwsCode(() => sock.recv({ memory, offset: -1, stride: 64, count: 4 }, metaArray(4)), C.ARGUMENT);
        throwsCode(() => sock.recv({ memory, offset: 0, stride: 64, count: 1.5 }, metaArray(4)), C.ARGUMENT);
        throwsCode(() => sock.recv({ memory: 'x' as unknown as ArrayBuffer, offset: 0, stride: 64, count: 1 }, metaArray(1)), C.ARGUMENT);
        throwsCode(() => sock.recv({ memory, offset: 0, stride: 64, count: 1 }, new Uint8Array(32) as unknown as Uint32Array), C.ARGUMENT);
        const meta = metaArray(2);
        setMeta(meta, 0, 0, 10, ipToBytes16('127.0.0.1'), 9);
        setMeta(meta, 1, 0, 10, ipToBytes16('::1'), 9);
        throwsCode(() => sock.send(memory, meta), C.ADDRESS); // udp4 cannot reach ::1; nothing is sent
        setMeta(meta, 1, 1020, 10, ipToBytes16('127.0.0.1'), 9);
        throwsCode(() => sock.send(memory, meta), C.REGION);
        meta[META_WORDS + Meta.PORT] = 70000;
        meta[META_WORDS + Meta.OFFSET] = 0;
        throwsCode(() => sock.send(memory, meta), C.ADDRESS);
        throwsCode(() => sock.send(memory, meta, 1, 5), C.META);
        throwsCode(() => sock.onReadable(42 as unknown as () => void), C.ARGUMENT);
        assert.equal(sock.stats().sent, 0);
        // Still a working socket afterwards.
        assert.equal(sock.recv({ memory, offset: 0, stride: 64, count: 4 }, metaArray(4)), 0);
      } finally {
        sock.close();
      }
    });

    test(`udp-batch ${name} - buffer sizes: requested at open, set later, reported as granted`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: 1 << 20, sendBufferSize: 1 << 19 });
      try {
        const s = sock.bufferSizes();
        assert.ok(s.recv > 0 && s.send > 0);
        const bigger = sock.setRecvBufferSize(1 << 21);
        assert.ok(bigger >= s.recv, `${bigger} >= ${s.recv}`);
        assert.equal(sock.bufferSizes().recv, bigger);
      } finally {
        sock.close();
      }
    });

    test(`udp-batch ${name} - datagrams lost to a full kernel receive buffer are counted in stats().dropped`, {
      skip: name === 'dgram' ? 'the twin cannot see drops in the kernel before dgram reads; it counts its own queue (next test)' : false,
    }, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: 4096 });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const port = sock.address().port;
        await sendAll(client, Array.from({ length: 100 }, (_, i) => payload(i, 1000)), port, '127.0.0.1');
        const region = { memory: new ArrayBuffer(2048 * 64), offset: 0, stride: 2048, count: 64 };
        await new Promise((r) => setTimeout(r, 20));
        while (sock.recv(region, metaArray(64)) > 0);
        // The kernel stamps its drop count on the datagrams queued after the drops.
        const done = drain(sock, region, metaArray(64), 1);
        await sendAll(client, [payload(1, 10)], port, '127.0.0.1');
        await done;
        assert.ok(sock.stats().dropped > 0, `dropped ${sock.stats().dropped}`);
        assert.ok(sock.stats().received < 101);
      } finally {
        closeAll(sock, client);
      }
    });

    test(`udp-batch ${name} - the twin's queue is bounded by the receive buffer and counts what it drops`, {
      skip: name === 'native' ? 'the native socket has no queue of its own (the kernel buffer is the queue)' : false,
    }, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: 65536 });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const limit = sock.bufferSizes().recv;
        const total = Math.ceil((limit * 1.5) / 1000);
        for (let i = 0; i < total; i += 10) {
          await sendAll(client, Array.from({ length: 10 }, () => payload(i, 1000)), sock.address().port, '127.0.0.1');
          await new Promise((r) => setImmediate(r)); // let dgram read between groups: no kernel drops
        }
        await new Promise((r) => setTimeout(r, 50));
        const region = { memory: new ArrayBuffer(1024 * 64), offset: 0, stride: 1024, count: 64 };
        let received = 0;
        for (let n; (n = sock.recv(region, metaArray(64))) > 0;) received += n;
        assert.ok(received * 1000 <= limit, `${received} queued within ${limit} bytes`);
        assert.ok(sock.stats().dropped > 0, `dropped ${sock.stats().dropped}`);
      } finally {
        closeAll(sock, client);
      }
    });

    test(`udp-batch ${name} - a wasm memory that grew between calls is read afresh`, async () => {
      const sock = await I.open({ type: 'udp4', address: '127.0.0.1' });
      const client = await peer('udp4', '127.0.0.1');
      try {
        const memory = new WasmMemory({ initial: 1, maximum: 4 });
        const region = { memory, offset: 65536 + 64, stride: 128, count: 4 };
        throwsCode(() => sock.recv(region, metaArray(4)), C.REGION);
        memory.grow(1);
        const done = drain(sock, region, metaArray(4), 1);
        await sendAll(client, [payload(7, 20)], sock.address().port, '127.0.0.1');
        const { got } = await done;
        assert.deepEqual(new Uint8Array(got[0]!.data), payload(7, 20));
        assert.ok(got[0]!.offset >= 65536);
      } finally {
        closeAll(sock, client);
      }
    });
  });
}
