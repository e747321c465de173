import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createSocket } from 'node:dgram';
import { NatsTestServer, scrape, wrongSolutions } from '@flowshield/test-support';
import { FlowshieldSocket } from '@flowshield/client';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { Kvm } from '@nats-io/kv';
import { CHALLENGE_DIFFICULTY_BUCKET, ChallengeOffset, encodeAnswer, encodeApiMessage, endpoint, serviceKey, type DifficultyRecord } from '@flowshield/proto';
import { solveChallenge } from '@flowshield/puzzle';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, publishEpochKey, publishTenantKey, until } from './testing/harness.js';

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

test('edge - the challenge program: an SDK client is challenged, answers and plays; a tampered answer blocks nothing', async (t) => {
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

  // A raw source that never answers is challenged and dropped; a tampered answer is rejected,
  // counted by reason, and blocks nothing: the source stays CHALLENGED.
  raw.send(Buffer.alloc(80, 0x61), port);
  await until(() => raw.messages.length === 1, 5_000, 'a challenge');
  const challenge = raw.messages[0]!;
  assert.equal(challenge.subarray(0, 4).toString(), 'FSCH');
  const forged = Buffer.from(challenge);
  forged.write('FSAN', 0);
  forged[56]! ^= 0xff; // a tampered tag: refused whatever the solutions
  raw.send(Buffer.concat([forged, Buffer.alloc(8)]), port);
  await until(() => edge.service('arena')!.runtime.host.rejections.total === 1, 5_000, 'the wrong answer');
  assert.equal(edge.service('arena')!.runtime.host.rejections.byLabel.bad_tag, 1);
  assert.equal(statusOf(edge, 'arena', '127.0.0.3'), 1, 'still CHALLENGED');
  raw.send('let me in', port);
  await until(() => edge.service('arena')!.runtime.stats.packets.drop >= 4, 5_000, 'the last drop');
  assert.ok(origin.received.every((d) => d.toString().startsWith('move ')));
});

const mapped = (ip: string) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.split('.').map(Number));
const statusOf = (edge: Edge, tenant: string, ip: string) => edge.service(tenant)!.runtime.host.state.getStatus(mapped(ip), Date.now() / 1000)?.status;
const rejected = (text: string, reason: string) => Number(new RegExp(`fs_edge_answers_rejected_total\\{tenant="arena",reason="${reason}"\\} (\\d+)`).exec(text)?.[1]);

test('edge - spoofed bad answers carrying a victim\'s address never block it: dropped, counted by reason, and the victim passes', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await publishEpochKey(nc);
  const origin = await EchoOrigin.start();
  const edge = await startEdge(nats.url, origin, 'arena', { limits: { challenges: { perSource: { perSecond: 1000, burst: 1000 } } } });
  const victim = await RawClient.bind('127.0.0.5');
  const spoofer = await RawClient.bind('127.0.0.5'); // the victim's address, another port
  const attacker = await RawClient.bind('127.0.0.6'); // the spoofer's own address
  const cheat = await RawClient.bind('127.0.0.7'); // a real client that sends wrong work
  t.after(async () => { for (const c of [victim, spoofer, attacker, cheat]) c.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'arena', compileExample('challenge.c'));
  const service = edge.service('arena')!;
  await until(() => service.runtime.version === 1, 10_000, 'deployment');
  await until(() => service.runtime.host.keyRing.issuingKey(Math.floor(Date.now() / 1000)) !== null, 10_000, 'the challenge key');
  const port = service.address.port;
  const challengeFor = async (client: RawClient) => {
    const before = client.messages.length;
    await client.send(Buffer.alloc(80, 0x61), port);
    await until(() => client.messages.length > before, 5_000, 'a challenge');
    return client.messages[before]!;
  };

  const victimChallenge = await challengeFor(victim);
  assert.equal(statusOf(edge, 'arena', '127.0.0.5'), 1);
  // What an off-path spoofer can send with the victim's address (the spoofer never sees the
  // victim's challenge). Sending from the victim's own socket puts exactly the victim's address
  // and port on the wire, as a spoofed packet would.
  const own = await challengeFor(attacker);
  const ownAnswer = encodeAnswer(own, solveChallenge(own));
  const forged = Buffer.from(ownAnswer);
  forged.set(mapped('127.0.0.5'), ChallengeOffset.clientAddress); // claims the victim: the tag no longer matches
  forged.writeUInt16BE(victim.socket.address().port, ChallengeOffset.clientPort);
  const otherPort = await challengeFor(spoofer); // bound to the victim's address and another port
  const old = Buffer.from(forged);
  old.writeUInt32BE(old.readUInt32BE(ChallengeOffset.issuedAt) - 3600, ChallengeOffset.issuedAt); // checked before the tag
  const unknownKey = Buffer.from(forged);
  unknownKey.writeUInt32BE(0x7fffffff, ChallengeOffset.keyId);
  const spoofs: [string, Uint8Array][] = [
    ['malformed', Buffer.concat([Buffer.from('FSAN'), Buffer.alloc(76, 0xee)])],
    ['wrong_address', ownAnswer],
    ['bad_tag', forged],
    ['wrong_port', encodeAnswer(otherPort, solveChallenge(otherPort))],
    ['expired', old],
    ['bad_tag', unknownKey], // unknown_key is counted as bad_tag
  ];
  for (const [, packet] of spoofs) await victim.send(packet, port);
  await until(() => service.runtime.host.rejections.total === spoofs.length, 10_000, 'every spoofed answer rejected');
  const text = await scrape(edge.metricsPort);
  for (const [reason] of spoofs) assert.equal(rejected(text, reason), spoofs.filter(([r]) => r === reason).length, `${reason} counted`);
  assert.equal(statusOf(edge, 'arena', '127.0.0.5'), 1, 'the victim is still CHALLENGED');

  // The victim answers its own (first) challenge and plays.
  await victim.send(encodeAnswer(victimChallenge, solveChallenge(victimChallenge)), port);
  await until(() => statusOf(edge, 'arena', '127.0.0.5') === 2, 10_000, 'the victim VERIFIED');
  await victim.send('move 1', port);
  await until(() => victim.messages.some((m) => m.toString() === 'echo:move 1'), 5_000, 'the victim\'s echo');

  // A wrong proof of work under a valid tag for the sender's own address and port proves it
  // received the challenge: the example blocks it (flowshield.h FS_ANSWER_PROVES_RECEIPT).
  const cheatChallenge = await challengeFor(cheat);
  await cheat.send(encodeAnswer(cheatChallenge, wrongSolutions(cheatChallenge)), port);
  await until(() => statusOf(edge, 'arena', '127.0.0.7') === 3, 10_000, 'the cheat BLOCKED');
  assert.equal(rejected(await scrape(edge.metricsPort), 'bad_solution'), 1);
  assert.match(await scrape(edge.metricsPort), /fs_edge_challenge_answers_total\{tenant="arena",result="rejected"\} 7/);
  assert.deepEqual(origin.received.map((d) => d.toString()), ['move 1']);
});

test('edge - a floor raised by the challenge service does not refuse answers to challenges this edge issued just before', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await publishEpochKey(nc);
  const origin = await EchoOrigin.start();
  const edge = await startEdge(nats.url, origin, 'arena');
  const client = await RawClient.bind('127.0.0.8');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'arena', compileExample('challenge.c'));
  const service = edge.service('arena')!;
  await until(() => service.runtime.version === 1, 10_000, 'deployment');
  await until(() => service.runtime.host.keyRing.issuingKey(Math.floor(Date.now() / 1000)) !== null, 10_000, 'the challenge key');
  await client.send(Buffer.alloc(80, 0x61), service.address.port);
  await until(() => client.messages.length === 1, 5_000, 'a challenge at the configured 6 bits');
  const challenge = client.messages[0]!;
  // The service learns of this network and publishes its own difficulty, with a floor above it.
  const record: DifficultyRecord = { v: 1, target: { address: '127.0.0.1', port: 207 }, bits: 20, floorBits: 20, subPuzzles: 2, updatedAt: Math.floor(Date.now() / 1000) };
  const kv = await new Kvm(nc).create(CHALLENGE_DIFFICULTY_BUCKET);
  await kv.put(serviceKey(endpoint('127.0.0.1', 207)), encodeApiMessage(record));
  await until(() => service.runtime.host.difficulty.floorBits === 20, 10_000, 'the difficulty record');
  await client.send(encodeAnswer(challenge, solveChallenge(challenge)), service.address.port);
  await until(() => statusOf(edge, 'arena', '127.0.0.8') === 2, 10_000, 'the answer accepted');
  assert.equal(service.runtime.host.rejections.total, 0);
});

test('edge - replies are rate-limited per source, per source prefix and per protected network, refused ones counted and not sent', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const slow = { perSecond: 0.001, burst: 1000 };
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-replies', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [
      { tenant: 'src', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port }, limits: { replies: { perSource: { perSecond: 0.001, burst: 3 }, perPrefix: slow, perTarget: slow } } },
      { tenant: 'net', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port }, limits: { replies: { perSource: slow, perPrefix: { perSecond: 0.001, burst: 4 }, perTarget: slow } } },
      { tenant: 'dst', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port }, limits: { replies: { perSource: slow, perPrefix: slow, perTarget: { perSecond: 0.001, burst: 2 } }, prefixBits: { v4: 32 } } },
    ],
  }), { logger: quiet });
  const one = await RawClient.bind('127.0.0.20');
  const net = await Promise.all(Array.from({ length: 6 }, (_, i) => RawClient.bind(`127.0.0.${30 + i}`)));
  const many = await Promise.all(Array.from({ length: 5 }, (_, i) => RawClient.bind(`127.0.1.${40 + i}`)));
  t.after(async () => { for (const c of [one, ...net, ...many]) c.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const cookie = compileExample('cookie.c');
  for (const tenant of ['src', 'net', 'dst']) {
    await deploy(nc, tenant, cookie);
    await publishTenantKey(nc, tenant, new Uint8Array(32).fill(tenant.length));
  }
  for (const tenant of ['src', 'net', 'dst']) await until(() => edge.service(tenant)!.runtime.version === 1 && edge.service(tenant)!.runtime.host.hmacKey !== null, 10_000, `${tenant} deployed with its key (version ${edge.service(tenant)!.runtime.version}, refusal ${edge.service(tenant)!.runtime.lastRefusal}, key ${edge.service(tenant)!.runtime.host.hmacKey !== null})`);
  const hello = Buffer.alloc(64, 0x61);
  const send = async (clients: RawClient[], tenant: string, times: number) => {
    for (let i = 0; i < times; i++) for (const c of clients) await c.send(hello, edge.service(tenant)!.address.port);
  };
  const settled = (tenant: string, packets: number) => until(() => edge.service(tenant)!.runtime.stats.packets.drop === packets, 10_000, `${tenant}: ${packets} packets run`);
  const received = (clients: RawClient[]) => clients.reduce((n, c) => n + c.messages.length, 0);

  await send([one], 'src', 10);
  await settled('src', 10);
  await until(() => received([one]) === 3, 5_000, 'three replies to one source');
  assert.equal(edge.service('src')!.runtime.host.repliesRefused, 7);

  await send(net, 'net', 1); // six sources in one /24
  await settled('net', 6);
  await until(() => received(net) === 4, 5_000, 'four replies to one /24');
  assert.equal(edge.service('net')!.runtime.host.repliesRefused, 2);

  await send(many, 'dst', 1); // five /32 prefixes, one protected network
  await settled('dst', 5);
  await until(() => received(many) === 2, 5_000, 'two replies on behalf of the protected network');
  assert.equal(edge.service('dst')!.runtime.host.repliesRefused, 3);

  const text = await scrape(edge.metricsPort);
  assert.match(text, /fs_edge_replies_refused_total\{tenant="src"\} 7/);
  assert.match(text, /fs_edge_replies_refused_total\{tenant="net"\} 2/);
  assert.match(text, /fs_edge_replies_refused_total\{tenant="dst"\} 3/);
  assert.match(text, /fs_edge_tenant_key\{tenant="src"\} 1/);
  assert.ok([one, ...net, ...many].every((c) => c.messages.every((m) => m.length <= hello.length)), 'never larger than the trigger');
  assert.equal(origin.received.length, 0);
});

test('edge - config: limits per service with defaults; the old challenges rate fields are refused with where they went', () => {
  const base = { tenant: 't', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 9 } };
  const parsed = parseEdgeConfig({ edgeId: 'e', services: [{ ...base, limits: { replies: { perSource: { burst: 2 } }, prefixBits: { v6: 56 } } }] }).services[0]!;
  assert.deepEqual(parsed.limits.replies.perSource, { perSecond: 4, burst: 2 });
  assert.deepEqual(parsed.limits.challenges.perSource, { perSecond: 2, burst: 4 });
  assert.deepEqual(parsed.limits.prefixBits, { v4: 24, v6: 56 });
  assert.throws(() => parseEdgeConfig({ edgeId: 'e', services: [{ ...base, challenges: { perSourcePerSecond: 5 } }] }), /moved to services\[0\]\.limits\.challenges\.perSource\.perSecond/);
  assert.throws(() => parseEdgeConfig({ edgeId: 'e', services: [{ ...base, limits: { replies: { perSorce: {} } } }] }), /perSorce is not a limit/);
  assert.throws(() => parseEdgeConfig({ edgeId: 'e', services: [{ ...base, limits: { prefixBits: { v4: 33 } } }] }), /prefixBits\.v4 must be 0\.\.32/);
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
