import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowshieldSocket } from '@flowshield/client';
import { ReplicaReader } from '@flowshield/replica';
import { ChallengeSubject, decodeApiMessage, encodeAnswer, encodeApiMessage, fromBase64, type TokenReply, type TokenRequest } from '@flowshield/proto';
import { Stack, metric, until } from './stack.js';
import { EchoOrigin, RawClient, wrongSolutions } from '@flowshield/test-support';

const ipBytes = (v4: string) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4.split('.').map(Number));
const digestOf = (stack: Stack, db: string): string => JSON.parse(stack.cli(['state', 'digest', '--db', db, '--json'])).digest;

async function connectSdk(port: number, localAddress: string) {
  const client = await FlowshieldSocket.connect({ host: '127.0.0.1', port, localAddress, holdAfterHelloMs: 1000 });
  const replies: string[] = [];
  client.on('message', (data: Uint8Array) => replies.push(Buffer.from(data).toString()));
  return { client, replies };
}

test('e2e - challenge, verify, play through edge A; edge B lets the client in without a new challenge; NATS outage; 100,000 bad datagrams', async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  const clients: { close(): unknown }[] = [];
  t.after(async () => {
    for (const c of clients) await c.close();
    origin.close();
    await stack.stop();
  });
  await stack.startNats();
  const [stateA, stateB] = await Promise.all([stack.startState('a'), stack.startState('b')]);
  await stack.startChallenge();
  const program = stack.compile('challenge.c');
  stack.cli(['deploy', program, '--tenant', 'arena']);
  const [edgeA, edgeB] = await Promise.all([
    stack.startEdge('edge-a', { replicaPath: stateA.db, tenant: 'arena', originPort: origin.port, publicPort: 207 }),
    stack.startEdge('edge-b', { replicaPath: stateB.db, tenant: 'arena', originPort: origin.port, publicPort: 207 }),
  ]);
  await Promise.all([edgeA, edgeB].map((e) => stack.edgeReady(e)));

  // 1. The SDK client is challenged, solves, becomes VERIFIED; its held packets reach the origin in order.
  const { client, replies } = await connectSdk(edgeA.port, '127.0.0.2');
  clients.push(client);
  const verified = new Promise<{ solveMs: number }>((resolve) => client.once('verified', resolve));
  for (let i = 0; i < 3; i++) client.send(`move ${i}`);
  await verified;
  const verifiedAt = Date.now();
  await until(() => replies.length === 3, 10_000, `replies to the held packets (got ${JSON.stringify(replies)})`);
  assert.deepEqual(replies, ['echo:move 0', 'echo:move 1', 'echo:move 2']);

  // 2. Raw sources that do not answer are dropped and never reach the origin. A tampered answer
  //    (what an off-path spoofer can send with anyone's address) is counted and blocks nothing;
  //    a wrong proof of work under a valid tag for the sender's own address blocks it.
  const silent = await RawClient.bind('127.0.0.3');
  const liar = await RawClient.bind('127.0.0.4');
  clients.push(silent, liar);
  await silent.send(Buffer.alloc(80, 0x61), edgeA.port);
  await silent.send('let me in', edgeA.port);
  await liar.send(Buffer.alloc(80, 0x62), edgeA.port);
  await until(() => liar.messages.length === 1, 5_000, 'a challenge for the liar');
  const liarChallenge = liar.messages[0]!;
  const forged = Buffer.from(liarChallenge);
  forged.write('FSAN', 0);
  forged[56]! ^= 0xff; // a tampered tag: refused whatever the solutions
  await liar.send(Buffer.concat([forged, Buffer.alloc(4 * liarChallenge[14]!)]), edgeA.port); // one u32 per sub-puzzle
  await until(async () => (await metric(edgeA.metricsPort, /fs_edge_answers_rejected_total\{tenant="arena",reason="bad_tag"\} (\d+)/)) === 1, 5_000, 'the tampered answer');
  await liar.send(encodeAnswer(liarChallenge, wrongSolutions(liarChallenge)), edgeA.port);
  await until(async () => (await metric(edgeA.metricsPort, /fs_edge_answers_rejected_total\{tenant="arena",reason="bad_solution"\} (\d+)/)) === 1, 5_000, 'the wrong work');
  assert.equal(await metric(edgeA.metricsPort, /fs_edge_challenge_answers_total\{tenant="arena",result="rejected"\} (\d+)/), 2);
  const challengesToLiar = liar.messages.length; // the tampered answer was answered with a fresh challenge
  assert.ok(origin.received.every((d) => d.toString().startsWith('move ')), 'only the verified client reached the origin');

  // 2b. A matchmaker pre-authorises a player: the challenge service issues a verified token, the
  //     edge checks it with public keys only, and the player plays without a puzzle. A token for
  //     another address is refused.
  const nc = await stack.connectAs('operator'); // a matchmaker holds operator credentials
  clients.push({ close: () => nc.close() });
  const ask = async (address: string) => {
    const request: TokenRequest = { v: 1, client: { address, port: 0 }, target: { address: '127.0.0.1', port: 207 }, ttlSeconds: 600 };
    return decodeApiMessage<TokenReply>((await nc.request(ChallengeSubject.token, encodeApiMessage(request), { timeout: 5_000 })).data);
  };
  const granted = await ask('127.0.0.10');
  assert.equal(granted.ok, true);
  const player = await RawClient.bind('127.0.0.10');
  const impostor = await RawClient.bind('127.0.0.11');
  clients.push(player, impostor);
  await until(async () => (await metric(edgeA.metricsPort, /fs_edge_challenge_keys (\d+)/)) > 0, 5_000, 'keys');
  const tokenBytes = fromBase64((granted as Extract<TokenReply, { ok: true }>).token);
  await until(async () => {
    await player.send(tokenBytes, edgeA.port);
    await new Promise((r) => setTimeout(r, 50));
    return (await metric(edgeA.metricsPort, /fs_edge_tokens_total\{tenant="arena",result="accepted"\} (\d+)/)) >= 1;
  }, 10_000, 'the token to be accepted (public keys reach the edge)');
  await player.send('matchmade', edgeA.port);
  await until(() => player.messages.some((m) => m.toString() === 'echo:matchmade'), 5_000, 'the pre-authorised player to play');
  assert.ok(!player.messages.some((m) => m.subarray(0, 4).toString() === 'FSCH'), 'no challenge for a token holder');
  await impostor.send(tokenBytes, edgeA.port);
  await until(async () => (await metric(edgeA.metricsPort, /fs_edge_tokens_total\{tenant="arena",result="rejected"\} (\d+)/)) === 1, 5_000, 'the stolen token to be refused');
  // A flood of tokens from one source: each costs a signature check, so only a few are checked.
  for (let i = 0; i < 30; i++) await impostor.send(tokenBytes, edgeA.port);
  await until(async () => (await metric(edgeA.metricsPort, /fs_edge_tokens_total\{tenant="arena",result="rate_limited"\} (\d+)/)) >= 20, 5_000, 'tokens over the per-source limit dropped unchecked');
  assert.ok((await metric(edgeA.metricsPort, /fs_edge_tokens_total\{tenant="arena",result="rejected"\} (\d+)/)) <= 8, 'at most the burst and its refill checked');

  // 3. Edge B, with its own replica, passes the verified client without a challenge once the
  //    event has reached its replica (a packet arriving before that would be challenged there).
  const replicaB = ReplicaReader.open(stateB.db);
  clients.push({ close: () => replicaB.close() });
  await until(() => replicaB.lookup('arena', ipBytes('127.0.0.2'))?.status === 2, 15_000, 'the VERIFIED event in replica B');
  const propagatedMs = Date.now() - verifiedAt;
  const roaming = await RawClient.bind('127.0.0.2');
  clients.push(roaming);
  await roaming.send('roamed', edgeB.port);
  await until(() => roaming.messages.some((m) => m.toString() === 'echo:roamed'), 5_000, 'edge B to pass the client verified at edge A');
  t.diagnostic(`verified at edge A → in replica B after ${propagatedMs} ms → passed by edge B after ${Date.now() - verifiedAt} ms`);
  assert.ok(!roaming.messages.some((m) => m.subarray(0, 4).toString() === 'FSCH'), 'edge B sent no challenge');
  // The blocked source is blocked at edge B too.
  await until(async () => {
    const before = await metric(edgeB.metricsPort, /fs_edge_packets_total\{tenant="arena",version="1",verdict="drop"\} (\d+)/);
    await liar.send('still here', edgeB.port);
    await new Promise((r) => setTimeout(r, 50));
    return (await metric(edgeB.metricsPort, /fs_edge_packets_total\{tenant="arena",version="1",verdict="drop"\} (\d+)/)) > before && liar.messages.length === challengesToLiar;
  }, 10_000, 'edge B to drop the blocked source without a challenge');

  // 4. NATS stops: both edges keep passing the verified client and dropping others; new transitions buffer.
  await stack.nats.stop();
  const received = origin.received.length;
  await roaming.send('during outage A', edgeA.port);
  await roaming.send('during outage B', edgeB.port);
  await until(() => origin.received.length === received + 2, 5_000, 'verified traffic during the outage');
  // A newcomer is challenged (a first contact: it stays on the edge, no event) and solves while
  // NATS is down: its VERIFIED, which every edge must learn, is buffered.
  const { client: newcomer } = await connectSdk(edgeB.port, '127.0.0.5');
  clients.push(newcomer);
  const newcomerVerified = new Promise((resolve) => newcomer.once('verified', resolve));
  newcomer.send('joined during the outage');
  await newcomerVerified;
  await until(async () => (await metric(edgeB.metricsPort, /fs_edge_event_buffer_depth (\d+)/)) >= 1, 5_000, 'the VERIFIED transition to be buffered');
  await stack.nats.start();
  await until(async () => (await metric(edgeB.metricsPort, /fs_edge_event_buffer_depth (\d+)/)) === 0, 30_000, 'the buffered events to be published');
  await until(() => digestOf(stack, stateA.db) === digestOf(stack, stateB.db), 30_000, 'the replicas to agree');
  t.diagnostic(`replicas agree after the outage: ${digestOf(stack, stateA.db).slice(0, 16)}`);

  // 5. 100,000 malformed or random datagrams: no crash, every one counted.
  const flooders = await Promise.all(['127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'].map((a) => RawClient.bind(a)));
  clients.push(...flooders);
  const counted = async () => await metric(edgeA.metricsPort, /fs_edge_packets_total\{tenant="arena",version="1",verdict="drop"\} (\d+)/)
    + await metric(edgeA.metricsPort, /fs_edge_packets_total\{tenant="arena",version="1",verdict="pass"\} (\d+)/)
    + await metric(edgeA.metricsPort, /fs_edge_packets_total\{tenant="arena",version="1",verdict="malformed"\} (\d+)/);
  const countedBefore = await counted();
  const total = 100_000;
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  // Rounds of 200, each counted before the next is sent: a round fits the edge's socket buffer even
  // where the kernel grants only its default (rmem_max), so on a loaded machine too every datagram
  // reaches the edge and "every one counted" is exact.
  const round = 200;
  for (let sent = 0; sent < total; sent += round) {
    await Promise.all(Array.from({ length: round }, (_, i) => {
      const size = rand() % 1200;
      const data = Buffer.alloc(size);
      for (let b = 0; b < size; b++) data[b] = rand() >>> 24;
      if (i % 7 === 0 && size >= 4) data.write(['FSAN', 'FSHI', 'FSCH', 'FSTK'][i % 4]!, 0);
      return flooders[i % flooders.length]!.send(data, edgeA.port);
    }));
    await until(async () => (await counted()) - countedBefore >= sent + round, 60_000, `datagrams up to ${sent + round} to be counted`);
  }
  assert.equal((await counted()) - countedBefore, total, 'every datagram counted once');
  assert.equal(edgeA.proc.child.exitCode, null, 'edge A is still running');
  assert.ok(origin.received.every((d) => !d.toString().startsWith('FS')), 'no flood datagram reached the origin');
});
