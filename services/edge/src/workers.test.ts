import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds, readEventHistory } from '@flowshield/events';
import { implementation } from '@flowshield/udp-batch';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, until } from './testing/harness.js';

/* 'v' makes the source VERIFIED (dropped); anything else passes only from a VERIFIED source. */
const GATE = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view pkt;
    u8 status = 0;
    u64 expiry = 0;
    if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK || !fs_has(&pkt, pkt.payload, 1))
        return FS_DROP;
    if (pkt.payload[0] == 'v') {
        fs_set_src_ip_status(FS_STATUS_VERIFIED, 3600);
        return FS_DROP;
    }
    fs_get_src_ip_status(&status, &expiry);
    return status == FS_STATUS_VERIFIED ? FS_PASS : FS_DROP;
}
`;
const PASS_ALL = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    return FS_PASS;
}
`;

const program = (name: string, text: string) => {
  const source = join(mkdtempSync(join(tmpdir(), 'flowshield-workers-')), name);
  writeFileSync(source, text);
  return compileExample(name, source);
};
const metric = (text: string, pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? 0);
const scrapeText = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

test('edge workers - two packet workers: verified on one passes on the other, each transition published once, a hot reload reaches every worker, metrics sum over workers, malformed counted', { skip: implementation !== 'native' ? 'needs the udp-batch addon (SO_REUSEPORT)' : false }, async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await ensureEventStreams(nc);
  const origin = await EchoOrigin.start();
  // Without steering, the kernel's 4-tuple hash spreads one address's ports over the workers.
  const edge = await Edge.start(parseEdgeConfig({
    edgeId: 'edge-workers', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], workers: 2, steering: false,
    services: [{ tenant: 'multi', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  // One source address, many source ports: the kernel's reuse-port hash spreads them over both workers.
  const clients = await Promise.all(Array.from({ length: 24 }, () => RawClient.bind('127.0.0.31')));
  t.after(async () => { for (const c of clients) c.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const pool = edge.pool!;
  assert.equal(pool.size, 2);
  const port = edge.service('multi')!.address.port;

  await deploy(nc, 'multi', program('gate.c', GATE));
  await until(() => pool.versions('multi').every((v) => v === 1), 10_000, 'version 1 on every worker');

  // Verified through whichever worker gets this port...
  await clients[0]!.send('v', port);
  await until(() => pool.eventsForwarded === 1, 5_000, 'the VERIFIED transition at the main thread');
  // ...and forwarded to the other worker's overlay: a round trip to every worker orders it first.
  await pool.metricsJSON();
  // No replica here: only the forwarded transition can let the other ports' packets through.
  for (const [i, c] of clients.entries()) if (i > 0) await c.send(`play ${i}`, port);
  await until(() => clients.slice(1).every((c) => c.messages.length === 1), 5_000, 'an echo on every port');
  const perWorker = (await pool.metricsJSON()) as { name: string; values: { value: number; labels: Record<string, string> }[] }[][];
  const passes = perWorker.map((metrics) => metrics.find((m) => m.name === 'fs_edge_packets_total')!.values.filter((v) => v.labels.verdict === 'pass').reduce((a, v) => a + v.value, 0));
  assert.equal(passes.length, 2);
  assert.ok(passes.every((n) => n > 0), `both workers passed packets (${passes.join(', ')})`);

  await edge.publisher.flush();
  const published: number[] = [];
  const { lastSeq } = await eventStreamBounds(nc);
  for await (const entry of readEventHistory(nc, { endSeq: lastSeq })) for (const e of entry.batch!.events) published.push(e.status);
  assert.deepEqual(published, [2], 'one VERIFIED event, published once');

  // Metrics: the scrape sums the workers.
  let text = await scrapeText(edge.metricsPort);
  assert.equal(metric(text, /fs_edge_packets_total\{tenant="multi",version="1",verdict="pass"\} (\d+)/), 23);
  assert.equal(metric(text, /fs_edge_packets_total\{tenant="multi",version="1",verdict="drop"\} (\d+)/), 1);
  assert.match(text, /fs_edge_io_implementation\{implementation="native"\} 1/);
  assert.match(text, /fs_edge_packet_workers 2/);
  assert.match(text, /fs_edge_program_version\{tenant="multi"\} 1/);
  // The load reports that drive difficulty count the workers' drops (the 'v' packet).
  await until(() => edge.service('multi')!.loadCounters().drop === 1, 5_000, "the workers' load counters at the main thread");

  // Malformed: empty, oversize (fits the slot, over 1500 bytes of packet), truncated (over the slot).
  await clients[1]!.send(new Uint8Array(0), port);
  await clients[2]!.send(new Uint8Array(1480), port);
  await clients[3]!.send(new Uint8Array(4000), port);
  await until(async () => metric(await scrapeText(edge.metricsPort), /fs_edge_packets_total\{tenant="multi",version="1",verdict="malformed"\} (\d+)/) === 3, 5_000, 'three malformed datagrams');
  text = await scrapeText(edge.metricsPort);
  for (const reason of ['empty', 'oversize', 'truncated']) assert.match(text, new RegExp(`fs_edge_malformed_total\\{tenant="multi",reason="${reason}"\\} 1`));

  // A hot reload: compiled once on the main thread, swapped in on every worker.
  await deploy(nc, 'multi', program('pass.c', PASS_ALL));
  await until(() => pool.versions('multi').every((v) => v === 2), 10_000, 'version 2 on every worker');
  const fresh = await Promise.all(Array.from({ length: 16 }, () => RawClient.bind('127.0.0.32')));
  t.after(() => { for (const c of fresh) c.close(); });
  for (const c of fresh) await c.send('hello', port);
  await until(() => fresh.every((c) => c.messages.length === 1), 5_000, 'an unverified source passes under version 2 on every port');
  text = await scrapeText(edge.metricsPort);
  // The version label is the running one; the count is the tenant's since start (23 + 16).
  assert.equal(metric(text, /fs_edge_packets_total\{tenant="multi",version="2",verdict="pass"\} (\d+)/), 23 + 16);
  assert.match(text, /fs_edge_program_version\{tenant="multi"\} 2/);
});

test('edge config - workers defaults to the number of cores; it must be a positive integer', async () => {
  const { availableParallelism } = await import('node:os');
  const base = { edgeId: 'e', services: [{ tenant: 't', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 1 } }] };
  assert.equal(parseEdgeConfig(base).workers, availableParallelism());
  assert.equal(parseEdgeConfig({ ...base, workers: 1 }).workers, 1);
  for (const workers of [0, -1, 1.5, '2']) assert.throws(() => parseEdgeConfig({ ...base, workers }), /workers must be a positive/);
});

test('edge steering - a source that becomes VERIFIED is steered to its own socket, drained first; others stay on the shared one', { skip: implementation !== 'native' ? 'needs the udp-batch addon (SO_ATTACH_REUSEPORT_CBPF)' : false }, async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const edge = await Edge.start(parseEdgeConfig({
    edgeId: 'edge-steer', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], workers: 1, steering: true,
    services: [{ tenant: 'steer', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  const verified = await RawClient.bind('127.0.0.51');
  const other = await RawClient.bind('127.0.0.52');
  t.after(async () => { verified.close(); other.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const service = edge.service('steer')!;
  assert.ok(service.steering, 'steering on');
  const port = service.address.port;
  await deploy(nc, 'steer', program('gate.c', GATE));
  await until(() => service.runtime.version === 1, 10_000, 'deployment');
  await verified.send('v', port);
  await until(() => service.steering!.size === 1 && service.steering!.attaches >= 2, 5_000, 'the verified source in the steering program');
  assert.equal(service.steeredReceived, 0);
  for (let i = 0; i < 5; i++) await verified.send(`play ${i}`, port);
  await until(() => verified.messages.length === 5, 5_000, 'echoes for the verified source');
  assert.equal(service.steeredReceived, 5, 'its datagrams came through its own socket');
  await other.send('play', port);
  await until(() => service.runtime.stats.packets.drop === 2, 5_000, 'the unverified packet dropped');
  assert.equal(service.steeredReceived, 5, 'an unverified source stays on the shared socket');
  const text = await scrapeText(edge.metricsPort);
  assert.match(text, /fs_edge_steered_sources\{tenant="steer"\} 1/);
  assert.match(text, /fs_edge_steered_packets_total\{tenant="steer"\} 5/);
});

test('edge steering with two packet workers - sources spread over the workers by address; verified ones come through their worker\'s own socket', { skip: implementation !== 'native' ? 'needs the udp-batch addon (SO_ATTACH_REUSEPORT_CBPF)' : false }, async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const edge = await Edge.start(parseEdgeConfig({
    edgeId: 'edge-steer-2', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], workers: 2,
    services: [{ tenant: 'steer2', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  // 127.0.0.41 … .48: workerOf puts the odd ones on one worker, the even ones on the other.
  const clients = await Promise.all(Array.from({ length: 8 }, (_, i) => RawClient.bind(`127.0.0.${41 + i}`)));
  const stranger = await RawClient.bind('127.0.0.49');
  t.after(async () => { for (const c of [...clients, stranger]) c.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const pool = edge.pool!;
  const port = edge.service('steer2')!.address.port;
  await deploy(nc, 'steer2', program('gate.c', GATE));
  await until(() => pool.versions('steer2').every((v) => v === 1), 10_000, 'version 1 on every worker');
  for (const c of clients) await c.send('v', port);
  // Worker 0 holds the program: its own transitions and those the other worker made, forwarded.
  await until(async () => metric(await scrapeText(edge.metricsPort), /fs_edge_steered_sources\{tenant="steer2"\} (\d+)/) === 8, 10_000, 'the 8 verified sources in the attached program');
  for (let round = 0; round < 3; round++) for (const c of clients) await c.send(`play ${round}`, port);
  await until(() => clients.every((c) => c.messages.length === 3), 5_000, 'echoes for every verified source');
  await stranger.send('play', port);
  await until(async () => metric(await scrapeText(edge.metricsPort), /fs_edge_packets_total\{tenant="steer2",version="1",verdict="drop"\} (\d+)/) === 9, 5_000, 'the stranger dropped');
  const text = await scrapeText(edge.metricsPort);
  assert.equal(metric(text, /fs_edge_steered_packets_total\{tenant="steer2"\} (\d+)/), 24, 'every verified packet, and only those, through a verified socket');
  const perWorker = (await pool.metricsJSON()) as { name: string; values: { value: number }[] }[][];
  const steered = perWorker.map((metrics) => metrics.find((m) => m.name === 'fs_edge_steered_packets_total')!.values.reduce((a, v) => a + v.value, 0));
  assert.deepEqual(steered.sort(), [12, 12], 'each worker read its own sources\' packets');
});
