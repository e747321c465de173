import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createSocket } from 'node:dgram';
import { NatsTestServer, scrape } from '@flowshield/test-support';
import { FlowshieldSocket } from '@flowshield/client';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, publishEpochKey, until } from './testing/harness.js';

const token = (bytes: number[]) => Uint8Array.of(1, bytes.length >> 8, bytes.length & 0xff, ...bytes);
const quiet = pino({ level: 'silent' });

async function startEdge(natsUrl: string, origin: EchoOrigin, tenant: string, extra: object = {}) {
  return Edge.start(parseEdgeConfig({
    workers: 1, edgeId: `edge-${tenant}`, nats: { servers: [natsUrl] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [{ tenant, listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port }, challenges: { difficultyBits: 6, subPuzzles: 2 }, ...extra }],
  }), { logger: quiet });
}

test('edge - magic token: valid packets reach the origin and replies come back; others never do', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const edge = await startEdge(nats.url, origin, 'game');
  const good = await RawClient.bind('127.0.0.2');
  const bad = await RawClient.bind('127.0.0.3');
  t.after(async () => { good.close(); bad.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'game', compileExample('magic_token.c'));
  await until(() => edge.service('game')!.runtime.version === 1, 10_000, 'deployment');
  const port = edge.service('game')!.address.port;
  good.send(token([1, 2, 0xcf]), port);
  bad.send(token([1, 2, 0xce]), port);
  bad.send('garbage', port);
  await until(() => good.messages.length === 1, 5_000, 'echo');
  assert.equal(good.messages[0]!.toString('latin1'), 'echo:' + Buffer.from(token([1, 2, 0xcf])).toString('latin1'));
  assert.equal(origin.received.length, 1);
  await until(() => edge.service('game')!.runtime.stats.packets.drop === 2, 5_000, 'drops');
  assert.equal(bad.messages.length, 0);
  const metrics = await scrape(edge.metricsPort);
  assert.match(metrics, /fs_edge_packets_total\{tenant="game",version="1",verdict="pass"\} 1/);
  assert.match(metrics, /fs_edge_packets_total\{tenant="game",version="1",verdict="drop"\} 2/);
  assert.match(metrics, /fs_edge_nats_connected 1/);
});

test('edge - the challenge program: an SDK client is challenged, answers and plays; a wrong answer is blocked', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await publishEpochKey(nc);
  const origin = await EchoOrigin.start();
  const edge = await startEdge(nats.url, origin, 'arena');
  const raw = await RawClient.bind('127.0.0.3');
  t.after(async () => { raw.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'arena', compileExample('challenge.c'));
  await until(() => edge.service('arena')!.runtime.version === 1, 10_000, 'deployment');
  await until(() => edge.service('arena')!.runtime.host.keyRing.issuingKey(Math.floor(Date.now() / 1000)) !== null, 10_000, 'the challenge key');
  const port = edge.service('arena')!.address.port;

  const client = await FlowshieldSocket.connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2', solver: 'inline', holdAfterHelloMs: 500 });
  t.after(() => client.close());
  const replies: string[] = [];
  client.on('message', (data: Uint8Array) => replies.push(Buffer.from(data).toString()));
  const verified = new Promise((resolve) => client.once('verified', resolve));
  for (let i = 0; i < 3; i++) client.send(`move ${i}`);
  await verified;
  await until(() => replies.length === 3, 10_000, 'replies to the queued packets');
  assert.deepEqual(replies, ['echo:move 0', 'echo:move 1', 'echo:move 2']);
  client.send('move 3');
  await until(() => replies.length === 4, 5_000, 'a reply once verified');
  // A new version swaps in and the client's status survives it: no new challenge.
  await deploy(nc, 'arena', compileExample('challenge.c'));
  await until(() => edge.service('arena')!.runtime.version === 2, 10_000, 'version 2');
  client.send('move 4');
  await until(() => replies.length === 5, 5_000, 'a reply after the swap');
  assert.equal(client.counters.challenges, 1);
  assert.ok(origin.received.every((d) => d.toString().startsWith('move ')), 'only game packets reach the origin');

  // A raw source that never answers is challenged and dropped; a wrong answer blocks it.
  raw.send(Buffer.alloc(80, 0x61), port);
  await until(() => raw.messages.length === 1, 5_000, 'a challenge');
  const challenge = raw.messages[0]!;
  assert.equal(challenge.subarray(0, 4).toString(), 'FSCH');
  const forged = Buffer.from(challenge);
  forged.write('FSAN', 0);
  forged[56]! ^= 0xff; // a tampered tag: refused whatever the solutions
  raw.send(Buffer.concat([forged, Buffer.alloc(8)]), port);
  await until(() => edge.service('arena')!.runtime.stats.answersRejected === 1, 5_000, 'the wrong answer');
  raw.send('let me in', port);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(origin.received.every((d) => d.toString().startsWith('move ')));
});

test('edge - hot reload: a new version swaps in mid-traffic, a broken one is refused, monitoring passes all', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const edge = await startEdge(nats.url, origin, 'svc');
  const client = await RawClient.bind('127.0.0.4');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const runtime = edge.service('svc')!.runtime;
  const port = edge.service('svc')!.address.port;
  await deploy(nc, 'svc', compileExample('magic_token.c'));
  await until(() => runtime.version === 1);
  let sent = 0;
  const traffic = setInterval(() => { for (let i = 0; i < 20; i++) { client.send(token([sent & 0xff, 0xcf]), port); sent++; } }, 5);
  await new Promise((r) => setTimeout(r, 100));
  await deploy(nc, 'svc', Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1), { version: 2 }); // not a loadable object
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(runtime.version, 1, 'a broken object is refused');
  assert.ok(runtime.lastRefusal);
  await deploy(nc, 'svc', compileExample('magic_token.c'), { version: 3 });
  await until(() => runtime.version === 3);
  await new Promise((r) => setTimeout(r, 100));
  clearInterval(traffic);
  await until(() => origin.received.length === sent, 5_000, `all ${sent} packets through the swaps (got ${origin.received.length})`);
  await deploy(nc, 'svc', compileExample('magic_token.c'), { version: 4, monitoring: true });
  await until(() => runtime.version === 4);
  client.send('not a token', port);
  await until(() => origin.received.length === sent + 1, 5_000, 'monitoring passes everything');
  assert.equal(runtime.stats.monitored.drop, 1);
});

test('edge - IPv6: a service on ::1 gives programs an IPv6 packet view', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-v6', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [{ tenant: 'v6', listen: { host: '::1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: quiet });
  const client = createSocket('udp6');
  await new Promise<void>((resolve) => client.bind(0, '::1', () => resolve()));
  const replies: Buffer[] = [];
  client.on('message', (data) => replies.push(data));
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'v6', compileExample('magic_token.c'));
  await until(() => edge.service('v6')!.runtime.version === 1, 10_000, 'deployment');
  const port = edge.service('v6')!.address.port;
  client.send(token([7, 0xcf]), port, '::1');
  client.send(token([7, 0xce]), port, '::1');
  await until(() => replies.length === 1, 5_000, 'the echo over IPv6');
  await until(() => edge.service('v6')!.runtime.stats.packets.drop === 1, 5_000, 'the drop');
  assert.equal(origin.received.length, 1);
});
