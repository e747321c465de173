import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FlowshieldSocket } from '@flowshield/client';
import { accessConnectOptions, Role } from '@flowshield/access';
import { EventPublisher, readEventHistory } from '@flowshield/events';
import { aggregateStream, hubStream, ipToBytes16, Status } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';
import { jetstreamManager } from '@nats-io/jetstream';
import { EchoOrigin, RawClient, scrape } from '@flowshield/test-support';
import { Supercluster } from './supercluster.js';
import { join } from 'node:path';
import { ROOT, until, type Proc } from './stack.js';

/*
 * Worldwide convergence over the deploy/ supercluster (issue 14): two regions joined by gateways,
 * each with a leaf site of its own JetStream domain, a state service with its own replica and an
 * edge per region, all real processes. One supercluster is shared by the cases, which run in order.
 *
 * Region eu has three nodes (R3 hub and aggregate), us one. The supercluster's JetStream meta
 * group spans all four, so it keeps its quorum with us down or with one node of eu down (a
 * two-region supercluster of equal halves would not: deploy/README.md).
 */

const TOPOLOGY = { regions: [{ region: 'eu', sites: ['fra'] }, { region: 'us', sites: ['nyc'] }] };
const LOAD_EDGES = ['load-1', 'load-2', 'load-3'];
const WAIT = 120_000;

let sc: Supercluster;
let origin: EchoOrigin;
const closers: (() => unknown)[] = [];
let eu: { proc: Proc; db: string };
let us: { proc: Proc; db: string };
let edgeEu: { proc: Proc; port: number; metricsPort: number };
let edgeUs: { proc: Proc; port: number; metricsPort: number };

const v4 = (ip: string) => ipToBytes16(ip);

function facts(db: string): { digest: string; entries: number; applied: number } {
  const r = ReplicaReader.open(db);
  try {
    const { digest, entries } = r.digest();
    return { digest, entries, applied: r.appliedEvents() };
  } finally {
    void r.close();
  }
}

function statusIn(db: string, ip: string): number | undefined {
  const r = ReplicaReader.open(db);
  try {
    return r.lookup('arena', v4(ip))?.status;
  } finally {
    void r.close();
  }
}

async function verifyAt(port: number, address: string): Promise<void> {
  const client = await FlowshieldSocket.connect({ host: '127.0.0.1', port, localAddress: address, holdAfterHelloMs: 1000 });
  closers.push(() => client.close());
  const replies: string[] = [];
  client.on('message', (d: Uint8Array) => replies.push(Buffer.from(d).toString()));
  const verified = new Promise((resolve) => client.once('verified', resolve));
  client.send('hello');
  await verified;
  await until(() => replies.includes('echo:hello'), 30_000, `the echo through the edge for ${address}`);
}

/** A packet from `address` to the edge at `port` is echoed, and no challenge came back. */
async function passes(address: string, port: number, text: string): Promise<void> {
  const raw = await RawClient.bind(address);
  closers.push(() => raw.close());
  await raw.send(text, port);
  await until(() => raw.messages.some((m) => m.toString() === `echo:${text}`) || raw.messages.length > 0, 30_000, `a reply to ${address} at ${port}`);
  assert.ok(!raw.messages.some((m) => m.subarray(0, 4).toString() === 'FSCH'), `${address} was challenged at ${port}`);
  await until(() => raw.messages.some((m) => m.toString() === `echo:${text}`), 30_000, `the echo of ${text}`);
}

/** Publishes `count` events as load edge `edgeId` into `site`'s stream (sequences 1..count), paced in batches. */
async function load(edgeId: string, site: string, count: number, third: number, onHalf?: () => Promise<void>): Promise<void> {
  const pub = new EventPublisher({
    servers: sc.siteUrl(site), edgeId, initialSeq: 1, maxBatchEvents: 200, publishTimeoutMs: 2_000,
    connectOptions: { ...accessConnectOptions({ role: Role.edge, edgeId, creds: sc.creds(Role.edge, edgeId) }), maxReconnectAttempts: -1, reconnectTimeWait: 250 },
  });
  try {
    for (let i = 0; i < count; i++) {
      const event = { tenant: 'arena', ip: v4(`10.${third}.${(i >> 8) & 255}.${i & 255}`), prevStatus: Status.NONE, status: Status.VERIFIED, expiry: 0, reason: 1, programVersion: 1 };
      while (pub.publish(event) === null) await new Promise((r) => setTimeout(r, 5));
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 10));
      if (onHalf && i === Math.floor(count / 2)) {
        await pub.flush(WAIT);
        await onHalf();
      }
    }
    await pub.flush(WAIT);
    assert.equal(pub.stats.overflow, 0);
  } finally {
    await pub.close(WAIT);
  }
}

/** Every (edge, seq) of `edges` in `stream`: each must be there exactly once, sequences 1..count. */
async function checkOnce(stream: string, edges: Record<string, number>): Promise<number> {
  const nc = await sc.connectAs(Role.operator, sc.regionUrls('eu'));
  try {
    const seen = new Map<string, Set<number>>();
    let total = 0;
    for await (const entry of readEventHistory(nc, { stream })) {
      assert.ok(entry.batch, `message ${entry.streamSeq} of ${stream} decodes`);
      for (const e of entry.batch.events) {
        total++;
        if (!(e.edgeId in edges)) continue;
        const set = seen.get(e.edgeId) ?? new Set<number>();
        assert.ok(!set.has(e.seq), `${stream}: event ${e.edgeId} #${e.seq} twice`);
        set.add(e.seq);
        seen.set(e.edgeId, set);
      }
    }
    for (const [edge, count] of Object.entries(edges)) assert.equal(seen.get(edge)?.size ?? 0, count, `${stream}: events of ${edge}`);
    return total;
  } finally {
    await nc.close();
  }
}

before(async () => {
  sc = await Supercluster.start({ topology: TOPOLOGY, nodes: { eu: 3, us: 1 }, edgeIds: ['edge-eu', 'edge-us', ...LOAD_EDGES] });
  origin = await EchoOrigin.start();
  // The buckets edges read exist before the state services mirror them into the sites (a
  // mirror of a bucket that does not exist yet is only retried by the server after a backoff).
  await sc.startChallenge('eu');
  const object = join(sc.dir, 'challenge.o');
  sc.cli(['compile', join(ROOT, 'programs/examples/challenge.c'), '-o', object]);
  sc.cli(['deploy', object, '--tenant', 'arena']);
  [eu, us] = await Promise.all([sc.startState('eu', 'eu-1'), sc.startState('us', 'us-1')]);
  [edgeEu, edgeUs] = await Promise.all([
    sc.startEdge('edge-eu', 'fra', { replicaPath: eu.db, tenant: 'arena', originPort: origin.port }),
    sc.startEdge('edge-us', 'nyc', { replicaPath: us.db, tenant: 'arena', originPort: origin.port }),
  ]);
  // Deployments and keys reach each edge through its site's mirrors of the core buckets.
  await Promise.all([edgeEu, edgeUs].map((e) => e.proc.waitFor((l) => l.msg === 'program deployed', WAIT)));
  for (const e of [edgeEu, edgeUs]) {
    await until(async () => /fs_edge_challenge_keys(?:\{[^}]*\})? [1-9]/.test(await scrape(e.metricsPort)), WAIT, 'challenge keys at the edges');
  }
}, { timeout: 300_000 });

after(async () => {
  for (const c of closers) await c();
  origin?.close();
  await sc?.stop();
});

test('regions - a client verified at region eu\'s edge plays at region us\'s edge without a new challenge', { timeout: 240_000 }, async () => {
  await verifyAt(edgeEu.port, '127.0.0.2');
  await until(() => statusIn(us.db, '127.0.0.2') === Status.VERIFIED, WAIT, 'the VERIFIED event in the us replica');
  await passes('127.0.0.2', edgeUs.port, 'roamed');
  // The edge metrics carry the region.
  assert.match(await scrape(edgeUs.metricsPort), /fs_edge_packets_total\{[^}]*region="us",datacenter="us-dc1"/);
});

test('regions - one node of eu\'s R3 cluster killed under load loses no event and applies none twice', { timeout: 300_000 }, async () => {
  const nc = await sc.connectAs(Role.operator, sc.regionUrls('eu'));
  const leader = (await (await jetstreamManager(nc)).streams.info(hubStream('eu'))).cluster?.leader;
  await nc.close();
  assert.ok(leader?.startsWith('eu-'), `the eu hub has a leader in eu (${leader})`);
  const victim = sc.server(leader!);
  const PER_EDGE = 10_000;
  const baseline = [facts(eu.db).applied, facts(us.db).applied];
  await Promise.all([
    load('load-1', 'fra', PER_EDGE, 1, async () => { await victim.kill(); }),
    load('load-2', 'nyc', PER_EDGE, 2),
  ]);
  await victim.start();
  const edges = { 'load-1': PER_EDGE, 'load-2': PER_EDGE };
  // Both aggregates hold each event once; each replica merged exactly what its aggregate holds.
  let totals: number[] = [];
  await until(async () => {
    totals = [];
    for (const [i, db] of [eu.db, us.db].entries()) {
      const applied = facts(db).applied;
      if (applied < baseline[i]! + 2 * PER_EDGE) return false;
      totals.push(applied);
    }
    return true;
  }, WAIT * 2, 'both replicas to merge the load');
  assert.equal(await checkOnce(aggregateStream('eu'), edges), totals[0]);
  assert.equal(await checkOnce(aggregateStream('us'), edges), totals[1]);
  await until(() => facts(eu.db).digest === facts(us.db).digest, WAIT, 'equal digests in eu and us');
});

test('regions - with region us cut off both regions keep serving; once it is back every replica has the same digest', { timeout: 300_000 }, async () => {
  const usNode = sc.server('us-1');
  await usNode.kill();
  // us: its edge still passes the client verified before, and verifies a new one (its site keeps the event).
  await passes('127.0.0.2', edgeUs.port, 'cut off');
  await verifyAt(edgeUs.port, '127.0.0.5');
  // eu: a client verified there reaches eu's replica while us is away.
  await verifyAt(edgeEu.port, '127.0.0.6');
  await until(() => statusIn(eu.db, '127.0.0.6') === Status.VERIFIED, WAIT, 'the eu replica to keep merging during the partition');
  await passes('127.0.0.2', edgeEu.port, 'still home');

  await usNode.start();
  await until(() => statusIn(eu.db, '127.0.0.5') === Status.VERIFIED && statusIn(us.db, '127.0.0.6') === Status.VERIFIED, WAIT * 2, 'both sides\' events everywhere after the heal');
  await until(() => facts(eu.db).digest === facts(us.db).digest, WAIT, 'equal digests after the heal');
  // What `flowshield state digest` says, for both replicas.
  const digests = [eu.db, us.db].map((db) => JSON.parse(sc.cli(['state', 'digest', '--db', db, '--json'])).digest as string);
  assert.equal(digests[0], digests[1]);
  await passes('127.0.0.6', edgeUs.port, 'roamed after the heal');
});

test('regions - a new replica in eu bootstraps from eu\'s newest snapshot (not us\'s) and tails the rest', { timeout: 300_000 }, async () => {
  const euSnap = JSON.parse(sc.cli(['snapshot', 'create', '--db', eu.db, '--replica-id', 'eu-1', '--json']));
  // A newer snapshot of the other region's replica records another stream: it must not be picked.
  const usSnap = JSON.parse(sc.cli(['snapshot', 'create', '--db', us.db, '--replica-id', 'us-1', '--json']));
  assert.ok(usSnap.createdAt >= euSnap.createdAt);
  const at = euSnap.sequences[aggregateStream('eu')] as number;
  assert.ok(at > 0, 'the eu snapshot recorded its aggregate position');
  await load('load-3', 'fra', 2_000, 3);
  const fresh = await sc.startState('eu', 'eu-2');
  const boot = await fresh.proc.waitFor((l) => l.msg === 'bootstrapped from snapshot');
  assert.equal(boot.snapshot, euSnap.dataObject);
  const positioned = await fresh.proc.waitFor((l) => l.msg === 'consumer positioned at the replica\'s recorded sequence');
  assert.equal(positioned.startSeq, at + 1);
  await until(() => statusIn(eu.db, '10.3.7.207') === Status.VERIFIED && statusIn(us.db, '10.3.7.207') === Status.VERIFIED, WAIT, 'the last load event everywhere');
  await until(() => {
    const d = [eu.db, us.db, fresh.db].map((db) => facts(db).digest);
    return d[0] === d[1] && d[1] === d[2];
  }, WAIT, 'the bootstrapped replica to converge');
});
