import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { native } from './index.js';
import { peer, sendAll } from './testing.js';

// Packet workers are threads: the addon must load in each, and a worker that ends with its socket
// open and polling must not take the process down (Node unloads the addon before the loop closes
// handles; see shut() in native/udp_batch.c).
const INDEX = new URL('./index.js', import.meta.url).href;

for (const name of ['native', 'dgram'] as const) {
  test(`udp-batch ${name} - a worker thread receives on its own socket and may exit with it open`, {
    skip: name === 'native' && native === null ? 'the addon is not loaded' : false,
  }, async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(INDEX)}).then(async (m) => {
        const sock = await m[${JSON.stringify(name)}].open({ type: 'udp4', address: '127.0.0.1' });
        const region = { memory: new SharedArrayBuffer(4096), offset: 0, stride: 512, count: 8 };
        const meta = m.metaArray(8);
        sock.onReadable(() => {
          const n = sock.recv(region, meta);
          if (n > 0) {
            parentPort.postMessage({ data: Array.from(new Uint8Array(region.memory, meta[0], meta[1])) });
            setTimeout(() => process.exit(0), 10); // socket still open and polling
          }
        });
        parentPort.postMessage({ port: sock.address().port });
      });`;
    const worker = new Worker(code, { eval: true });
    const client = await peer('udp4', '127.0.0.1');
    try {
      const got = await new Promise<number[]>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (m: { port?: number; data?: number[] }) => {
          if (m.port) void sendAll(client, [Uint8Array.of(1, 2, 3)], m.port, '127.0.0.1');
          if (m.data) resolve(m.data);
        });
      });
      assert.deepEqual(got, [1, 2, 3]);
      assert.equal(await new Promise((r) => worker.on('exit', r)), 0);
    } finally {
      client.close();
    }
  });
}
