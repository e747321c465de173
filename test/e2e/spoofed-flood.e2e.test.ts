import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { FlowshieldSocket } from '@flowshield/client';
import { readEventHistory } from '@flowshield/events';
import { bytes16ToIp, EVENTS_STREAM, Status } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';
import { jetstreamManager } from '@nats-io/jetstream';
import { EchoOrigin } from '@flowshield/test-support';
import { Stack, metric, until } from './stack.js';

const SOURCES = 100_000;
/** Sources per round; the edge counts a round before the next is sent, so its socket buffer never holds more. */
const ROUND = 2048;
/** Sockets open at once within a round. */
const PARALLEL = 64;

/** The i-th spoofed source: 127.1.0.0, 127.1.0.1, ... (outside 127.0.0.0/24, where the real client lives). */
const sourceAddress = (i: number) => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

/**
 * The source port every spoofed source uses: a re-sent round then has the same 4-tuple, so
 * SO_REUSEPORT hands it to the same packet worker, whose overlay already holds the source (local
 * first contacts are not shared between workers; another worker would count it again).
 */
const SOURCE_PORT = 30_000;

/** One datagram from each of sources [from, to): a socket per address, bound, used once, closed. */
async function sendFrom(from: number, to: number, port: number, payload: Buffer): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < to) {
      const address = sourceAddress(next++);
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(SOURCE_PORT, address, () => resolve()); });
      await new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      socket.close();
    }
  }));
}

/** Waits until `read()` is `want` (true), or has not moved for a few seconds (false: datagrams were lost). */
async function settles(read: () => Promise<number>, want: number): Promise<boolean> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    const now = await read();
    if (now === want) return true;
    if (now !== last) [last, movedAt] = [now, Date.now()];
    else if (Date.now() - movedAt > 3_000) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('e2e - 100,000 spoofed first contacts add no event and no replica entry; a client that solves its challenge still does', async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  const closers: Array<() => unknown> = [];
  t.after(async () => {
    for (const close of closers) await close();
    origin.close();
    await stack.stop();
  });
  await stack.startNats(['edge-f']);
  const state = await stack.startState('f');
  await stack.startChallenge();
  stack.cli(['deploy', stack.compile('challenge.c'), '--tenant', 'arena']);
  const edge = await stack.startEdge('edge-f', { replicaPath: state.db, tenant: 'arena', originPort: origin.port, publicPort: 207 });
  await stack.edgeReady(edge);
  const nc = await stack.connectAs('operator'); // reads FS_EVENTS: the operator may
  closers.push(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const localChallenged = () => metric(edge.metricsPort, /fs_edge_status_local_total\{tenant="arena",status="CHALLENGED"\} (\d+)/);

  // 1. The flood: one packet from each of 100,000 addresses, every one a first contact that the
  //    example program challenges and marks CHALLENGED.
  const payload = Buffer.alloc(80, 0x61);
  //    A source already CHALLENGED is not marked again by the program, so the count is of
  //    distinct sources and a round can be re-sent when the loaded machine dropped datagrams.
  let resent = 0;
  for (let from = 0; from < SOURCES; from += ROUND) {
    const to = Math.min(SOURCES, from + ROUND);
    for (let attempt = 1; ; attempt++) {
      await sendFrom(from, to, edge.port, payload);
      if (await settles(localChallenged, to)) break;
      assert.ok(attempt < 5, `the edge counted ${await localChallenged()} of ${to} sources after ${attempt} sends`);
      resent++;
    }
  }
  t.diagnostic(`${SOURCES} spoofed sources sent in rounds of ${ROUND}; ${resent} rounds re-sent`);
  assert.equal(await localChallenged(), SOURCES, 'every spoofed source was a local first contact');
  assert.ok(await metric(edge.metricsPort, /fs_edge_challenges_sent_total\{tenant="arena"\} (\d+)/) > 0, 'the flood was challenged');
  assert.equal(await metric(edge.metricsPort, /fs_edge_events_total\{outcome="accepted"\} (\d+)/), 0, 'no event was even made');
  assert.equal((await jsm.streams.info(EVENTS_STREAM)).state.messages, 0, 'nothing reached FS_EVENTS');

  // 2. A real client on the same edge: challenged (locally too), solves, becomes VERIFIED — the
  //    one transition other edges must know, published and merged into the replica.
  const client = await FlowshieldSocket.connect({ host: '127.0.0.1', port: edge.port, localAddress: '127.0.0.2', holdAfterHelloMs: 1000 });
  closers.push(() => client.close());
  const replies: string[] = [];
  client.on('message', (data: Uint8Array) => replies.push(Buffer.from(data).toString()));
  const verified = new Promise((resolve) => client.once('verified', resolve));
  client.send('move 0');
  await verified;
  await until(() => replies.includes('echo:move 0'), 30_000, 'the client to play');
  const replica = ReplicaReader.open(state.db);
  closers.push(() => replica.close());
  const clientIp = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 2);
  await until(() => replica.lookup('arena', clientIp)?.status === Status.VERIFIED, 15_000, 'the VERIFIED event in the replica');

  const { state: stream } = await jsm.streams.info(EVENTS_STREAM);
  const published: string[] = [];
  for await (const entry of readEventHistory(nc, { endSeq: stream.last_seq })) {
    for (const e of entry.batch!.events) published.push(`${bytes16ToIp(e.ip)} ${e.prevStatus}->${e.status}`);
  }
  assert.deepEqual(published, [`127.0.0.2 ${Status.CHALLENGED}->${Status.VERIFIED}`], 'the stream holds the one VERIFIED event and nothing of the flood');
  await until(() => replica.sequences()[EVENTS_STREAM] === stream.last_seq, 15_000, 'the replica to merge the whole stream');
  assert.equal(replica.digest().entries, 1, 'one replica entry: the verified client; none for the 100,000 spoofed sources');
  assert.equal(await localChallenged(), SOURCES + 1, "the client's own first contact stayed local too");
});
