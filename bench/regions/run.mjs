#!/usr/bin/env node
// Worldwide visibility benchmark (issue 14): how long after an edge publishes a transition at its
// site is it visible in a replica of its own region, and in a replica of the other region?
//   node bench/regions/run.mjs [--probes N] [--gap-ms N]
// Starts the deploy/ supercluster on this machine (libs/access renderer, as `flowshield start
// --regions 2`): regions eu and us of one node each, gateways, a leaf site per region, a state
// service with its own replica per region. Probes are single events published at eu's site.
// Baseline, measured in the same run on the same probes: when NATS itself delivers the message
// from the region's aggregate stream (an ordered consumer), the floor the replica cannot beat.
// Needs the built workspace (npx tsc -b) and nats-server.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { accessConnectOptions, Role } from '@flowshield/access';
import { EventPublisher } from '@flowshield/events';
import { aggregateStream, decodeBatch, ipToBytes16, Status } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';
import { jetstream, DeliverPolicy } from '@nats-io/jetstream';
import { Supercluster } from '../../test/e2e/dist/supercluster.js';

const { values } = parseArgs({ options: { probes: { type: 'string', default: '300' }, 'gap-ms': { type: 'string', default: '40' } } });
const PROBES = Number(values.probes);
const GAP_MS = Number(values['gap-ms']);
const TOPOLOGY = { regions: [{ region: 'eu', sites: ['fra'] }, { region: 'us', sites: ['nyc'] }] };

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => `${x.toFixed(1)} ms`;
const probeIp = (i) => `10.200.${(i >> 8) & 255}.${i & 255}`;

const sc = await Supercluster.start({ topology: TOPOLOGY, nodes: { eu: 1, us: 1 }, edgeIds: ['bench-edge'] });
try {
  const [eu, us] = await Promise.all([sc.startState('eu', 'eu-1'), sc.startState('us', 'us-1')]);
  const readers = { eu: ReplicaReader.open(eu.db), us: ReplicaReader.open(us.db) };
  const sent = new Map(); // ip -> t0
  const seen = { eu: new Map(), us: new Map(), natsEu: new Map(), natsUs: new Map() };

  // The NATS floor: each region's aggregate, read with an ordered consumer as it fills.
  const nc = await sc.connectAs(Role.operator, sc.regionUrls('eu'));
  const watchers = ['eu', 'us'].map(async (region) => {
    const consumer = await jetstream(nc).consumers.get(aggregateStream(region), { deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume();
    const into = region === 'eu' ? seen.natsEu : seen.natsUs;
    for await (const m of messages) {
      const now = performance.now();
      for (const e of decodeBatch(m.data).events) {
        const key = Buffer.from(e.ip).toString('hex');
        if (sent.has(key) && !into.has(key)) into.set(key, now - sent.get(key));
      }
      if (into.size >= PROBES) break;
    }
  });

  const poll = setInterval(() => {
    const now = performance.now();
    for (const [key, t0] of sent) {
      for (const region of ['eu', 'us']) {
        if (seen[region].has(key)) continue;
        if (readers[region].lookup('bench', Buffer.from(key, 'hex'))?.status === Status.VERIFIED) seen[region].set(key, now - t0);
      }
    }
  }, 1);

  const pub = new EventPublisher({
    servers: sc.siteUrl('fra'), edgeId: 'bench-edge', maxBatchDelayMs: 1,
    connectOptions: { ...accessConnectOptions({ role: Role.edge, edgeId: 'bench-edge', creds: sc.creds(Role.edge, 'bench-edge') }), noAsyncTraces: true },
  });
  // Warm-up: sources, consumers and replicas running before the first timed probe.
  for (let i = 0; i < 20; i++) pub.publish({ tenant: 'warm', ip: ipToBytes16(probeIp(i)), prevStatus: 0, status: Status.VERIFIED, expiry: 0, reason: 1, programVersion: 1 });
  await pub.flush(60_000);
  const deadline = Date.now() + 120_000;
  while (readers.us.lookup('warm', ipToBytes16(probeIp(19)))?.status !== Status.VERIFIED) {
    if (Date.now() > deadline) throw new Error('warm-up events never reached the us replica');
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < PROBES; i++) {
    const ip = ipToBytes16(probeIp(i));
    sent.set(Buffer.from(ip).toString('hex'), performance.now());
    pub.publish({ tenant: 'bench', ip, prevStatus: 0, status: Status.VERIFIED, expiry: 0, reason: 1, programVersion: 1 });
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  await pub.close(60_000);
  const end = Date.now() + 120_000;
  while ((seen.eu.size < PROBES || seen.us.size < PROBES) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  clearInterval(poll);
  await Promise.race([Promise.all(watchers), new Promise((r) => setTimeout(r, 5_000))]);

  const line = (name, m, floor, target) => {
    const xs = [...m.values()];
    if (xs.length < PROBES) return `${name}: only ${xs.length} of ${PROBES} probes became visible`;
    const p99 = pct(xs, 99);
    const f99 = pct([...floor.values()], 99);
    return `${name}: p50 ${ms(pct(xs, 50))}  p99 ${ms(p99)}  (NATS aggregate delivery p99 ${ms(f99)}; replica/NATS ${(p99 / f99).toFixed(2)}x)  target p99 <= ${target} ms: ${p99 <= target ? 'MET' : 'NOT MET'}`;
  };
  console.log(`regions: ${PROBES} probes, one every ${GAP_MS} ms, published at site fra (region eu)`);
  console.log(line('  publish -> visible in the replica, same region (eu)', seen.eu, seen.natsEu, 50));
  console.log(line('  publish -> visible in the replica, across regions (us)', seen.us, seen.natsUs, 100));
  await readers.eu.close();
  await readers.us.close();
  await nc.close();
} finally {
  await sc.stop();
}
