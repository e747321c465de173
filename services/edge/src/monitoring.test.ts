import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, publishEpochKey, scrape, until } from './testing/harness.js';

const ipBytes = (v4: string) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4.split('.').map(Number));

test('edge monitoring - a monitored challenge program is a dry run: nothing sent, no status written, no event; it counts what it would have done', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await publishEpochKey(nc);
  const events: unknown[] = [];
  const sub = nc.subscribe('fs.events.>', { callback: (_err, msg) => { events.push(msg.subject); } });
  const origin = await EchoOrigin.start();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-monitor', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [{ tenant: 'arena', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port }, challenges: { difficultyBits: 6, subPuzzles: 2 } }],
  }), { logger: pino({ level: 'silent' }) });
  const raw = await RawClient.bind('127.0.0.6');
  t.after(async () => { raw.close(); origin.close(); sub.unsubscribe(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const service = edge.service('arena')!;
  const runtime = service.runtime;
  const port = service.address.port;
  await deploy(nc, 'arena', compileExample('challenge.c'), { monitoring: true });
  await until(() => runtime.version === 1, 10_000, 'the monitored deployment');
  // The edge reads the challenge keys once a program needs them (as edge.test.ts waits for them).
  await until(() => runtime.host.keyRing.issuingKey(Math.floor(Date.now() / 1000)) !== null, 10_000, 'the challenge key');
  // Two packets from one new source: enforcing, each would be answered with a challenge and the
  // first would make it CHALLENGED. Monitored, both pass to the origin and the client gets echoes only.
  await raw.send(Buffer.alloc(80, 0x61), port);
  await until(() => raw.messages.length === 1, 5_000, 'the first echo');
  await raw.send(Buffer.alloc(80, 0x62), port);
  await until(() => raw.messages.length === 2, 5_000, 'the second echo');
  assert.deepEqual(raw.messages.map((m) => m.subarray(0, 5).toString()), ['echo:', 'echo:']);
  assert.equal(origin.received.length, 2);

  assert.equal(runtime.stats.challengesSent, 0);
  assert.equal(runtime.stats.monitored.drop, 2);
  assert.equal(runtime.stats.monitored.challenge, 2);
  // The dry run saw its own CHALLENGED on the second packet (a consistent world), so it set the status once.
  assert.equal(runtime.stats.monitored.set_status, 1);
  // Nothing outside the counters: no overlay entry, no status, no event.
  assert.equal(runtime.host.state.overlaySize, 0);
  assert.equal(runtime.host.state.getStatus(ipBytes('127.0.0.6'), Date.now() / 1000), undefined);
  assert.equal(edge.publisher.stats.accepted, 0);
  await nc.flush();
  assert.deepEqual(events, []);
  const metrics = await scrape(edge.metricsPort);
  assert.match(metrics, /fs_edge_monitored_total\{tenant="arena",would="challenge"\} 2\n/);
  assert.match(metrics, /fs_edge_monitored_total\{tenant="arena",would="set_status"\} 1\n/);
  assert.match(metrics, /fs_edge_monitored_total\{tenant="arena",would="drop"\} 2\n/);

  // The same program enforcing starts from the real state: the source is new to it and is challenged.
  await deploy(nc, 'arena', compileExample('challenge.c'));
  await until(() => runtime.version === 2, 10_000, 'the enforcing deployment');
  await raw.send(Buffer.alloc(80, 0x63), port);
  await until(() => raw.messages.length === 3, 5_000, 'a challenge');
  assert.equal(raw.messages[2]!.subarray(0, 4).toString(), 'FSCH');
  assert.equal(runtime.stats.challengesSent, 1);
  await until(() => edge.publisher.stats.accepted >= 1 || runtime.host.state.overlaySize === 1, 5_000, 'the CHALLENGED status, written for real');
});
