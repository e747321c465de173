import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { implementation } from '@flowshield/udp-batch';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, until } from './testing/harness.js';

/* 'v' makes the source VERIFIED; a VERIFIED source passes, others are dropped. */
const GATE = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view pkt;
    u8 status = 0;
    if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK || !fs_has(&pkt, pkt.payload, 1))
        return FS_DROP;
    if (pkt.payload[0] == 'v') {
        fs_set_src_ip_status(FS_STATUS_VERIFIED, 3600);
        return FS_DROP;
    }
    fs_get_src_ip_status(&status, NULL);
    return status == FS_STATUS_VERIFIED ? FS_PASS : FS_DROP;
}
`;

/* A burst of one datagram from each of `count` new sources, sent while the edge's thread is blocked. */
const BURST = `
const { workerData, parentPort } = require('node:worker_threads');
const { createSocket } = require('node:dgram');
const { port, count, flag } = workerData;
const done = new Int32Array(flag);
const sockets = [];
let bound = 0;
for (let i = 0; i < count; i++) {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.62', () => { if (++bound === count) parentPort.postMessage('ready'); });
  sockets.push(s);
}
parentPort.once('message', () => {
  let sent = 0;
  for (const s of sockets) s.send(Buffer.from('new'), port, '127.0.0.1', () => {
    if (++sent < count) return;
    for (const x of sockets) x.close();
    Atomics.store(done, 0, 1);
    Atomics.notify(done, 0);
  });
});
`;

test('edge overload - under a deep queue new sources are rationed and counted as overload; a source with a session still passes', { skip: implementation !== 'native' ? 'needs the udp-batch addon (recvmmsg batches)' : false }, async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  // One packet thread (this one) and no steering: everything queues on the one shared socket.
  const edge = await Edge.start(parseEdgeConfig({
    edgeId: 'edge-overload', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], workers: 1, steering: false,
    services: [{ tenant: 'over', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  const known = await RawClient.bind('127.0.0.61');
  t.after(async () => { known.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const service = edge.service('over')!;
  const port = service.address.port;
  const source = join(mkdtempSync(join(tmpdir(), 'flowshield-overload-')), 'gate.c');
  writeFileSync(source, GATE);
  await deploy(nc, 'over', compileExample('gate.c', source));
  await until(() => service.runtime.version === 1, 10_000, 'deployment');
  await known.send('v', port);
  await until(() => service.runtime.stats.packets.drop === 1, 5_000, 'the known source verified');

  const count = 600;
  const flag = new SharedArrayBuffer(4);
  const burst = new Worker(BURST, { eval: true, workerData: { port, count, flag } });
  t.after(() => burst.terminate());
  await new Promise((resolve) => burst.once('message', resolve));
  burst.postMessage('go');
  // This thread runs the edge: blocked, it reads nothing while the burst fills its queue.
  const waited = Atomics.wait(new Int32Array(flag), 0, 0, 60_000);
  assert.notEqual(waited, 'timed-out', 'the burst was sent');
  await known.send('play', port); // behind the burst in the same queue

  const stats = service.runtime.stats;
  await until(() => stats.packets.pass + stats.packets.drop + service.overloadDropped === count + 2, 10_000, 'every datagram counted');
  await until(() => known.messages.length === 1, 5_000, "the known source's packet passed and was echoed");
  assert.ok(service.overloadDropped > 0, 'some new sources dropped before the program');
  assert.ok(service.overloadDropped < count, 'some new sources still reached the program');
  assert.equal(service.sessions.size, count + 2 - service.overloadDropped - 1, 'no session for a source dropped under pressure');
  const text = await (await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`)).text();
  assert.match(text, new RegExp(`fs_edge_packets_total\\{tenant="over",version="1",verdict="overload"\\} ${service.overloadDropped}`));
});
