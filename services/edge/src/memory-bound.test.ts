import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { STATUS_CACHE_BYTES, TOKEN_BUCKET_BYTES } from '@flowshield/vm';
import { RateLimitedLog } from '@flowshield/service-log';
import { NatsTestServer } from '@flowshield/test-support';
import { DEFAULT_MEMORY, parseEdgeConfig } from './config.js';
import { DRY_RUN_TABLE_BYTES } from './dry-run-state.js';
import { Edge } from './edge.js';
import { MAIN_THREAD_HEAP_HEADROOM, MemoryBound, PACKET_THREAD_HEAP_HEADROOM, memoryAllowance } from './memory-bound.js';
import { EchoOrigin, TEST_OPERATOR, compileExample, deploy, logLines, natsConnect, scrape, until } from './testing/harness.js';

const MiB = 2 ** 20;
const config = (extra: Record<string, unknown> = {}, services = 1) => parseEdgeConfig({
  edgeId: 'e1', ...extra,
  services: Array.from({ length: services }, (_, i) => ({ tenant: `t${i}`, listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 9 } })),
});
const defaultTables = Object.values(DEFAULT_MEMORY).reduce((a, b) => a + b, 0);
const perInstance = TOKEN_BUCKET_BYTES + STATUS_CACHE_BYTES + 3 * DRY_RUN_TABLE_BYTES;

test('edge config - rssLimitBytes: optional, whole bytes from 64 MiB', () => {
  assert.equal(config().rssLimitBytes, null);
  assert.equal(config({ rssLimitBytes: null }).rssLimitBytes, null);
  assert.equal(config({ rssLimitBytes: 512 * MiB }).rssLimitBytes, 512 * MiB);
  for (const bad of [MiB, 1.5e8 + 0.5, '512MiB', -1]) {
    assert.throws(() => config({ rssLimitBytes: bad }), /rssLimitBytes must be a whole number of bytes, at least 67108864/);
  }
});

test('memory bound - the allowance: every table at its bytes, per packet-thread program instance, heap headroom per thread', () => {
  assert.deepEqual(memoryAllowance(config(), 1), { tables: defaultTables, instances: perInstance, heap: MAIN_THREAD_HEAP_HEADROOM });
  // Split over workers the tables stay the edge's; instances and headroom are per packet thread.
  assert.deepEqual(memoryAllowance(config({}, 2), 4), {
    tables: 2 * defaultTables, instances: 2 * 4 * perInstance, heap: MAIN_THREAD_HEAP_HEADROOM + 4 * PACKET_THREAD_HEAP_HEADROOM,
  });
});

test('memory bound - armed at ready: the configured limit or ready + allowance; samples over it are counted and logged once an interval', () => {
  const { lines, stream } = logLines();
  const logger = pino({ level: 'info' }, stream);
  let resident = 200 * MiB;
  const allowance = { tables: 32 * MiB, instances: 10 * MiB, heap: 40 * MiB };
  const derived = new MemoryBound(null, allowance, logger, new RateLimitedLog(logger), () => resident);
  derived.sample();
  assert.equal(derived.samplesOver, 0, 'nothing is compared before the bound is armed');
  derived.arm();
  assert.equal(derived.bound, 282 * MiB);
  assert.equal(derived.refusal, null);
  resident = 282 * MiB;
  derived.sample();
  assert.equal(derived.samplesOver, 0, 'at the bound is under it');
  resident = 300 * MiB;
  derived.sample();
  derived.sample();
  assert.equal(derived.samplesOver, 2);
  assert.equal(lines.filter((l) => l.kind === 'memory_over_bound').length, 1, 'logged once an interval');
  assert.equal(lines.find((l) => l.msg === 'memory bound set')?.boundMiB, 282);

  resident = 200 * MiB;
  const roomy = new MemoryBound(400 * MiB, allowance, logger, new RateLimitedLog(logger), () => resident);
  roomy.arm();
  assert.equal(roomy.bound, 400 * MiB, 'a configured limit is the bound');
  assert.equal(roomy.refusal, null);
  const tight = new MemoryBound(256 * MiB, allowance, logger, new RateLimitedLog(logger), () => resident);
  tight.arm();
  assert.match(tight.refusal ?? '', /rssLimitBytes 268435456 \(256 MiB\) is below what this edge may take: 282 MiB \(200 ready \+ 32 tables \+ 10 per program instance \+ 40 heap headroom\)/);
  assert.ok(lines.some((l) => l.level === 50 && /rssLimitBytes/.test(l.msg)), 'the refusal is logged as an error');
});

test('memory bound - a running edge: the bound in its metrics once ready; a limit it cannot hold makes it unready, saying why', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const start = (tenant: string, rssLimitBytes?: number) => Edge.start(parseEdgeConfig({
    workers: 1, edgeId: `edge-${tenant}`, nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], rssLimitBytes,
    services: [{ tenant, listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  const roomy = await start('roomy');
  const tight = await start('tight', 64 * MiB);
  t.after(async () => { origin.close(); await roomy.stop(); await tight.stop(); await nc.close(); await nats.dispose(); });
  const object = compileExample('magic_token.c');
  await deploy(nc, 'roomy', object);
  await deploy(nc, 'tight', object);
  await until(() => roomy.memory!.armed && tight.memory!.armed, 30_000, 'both bounds armed');
  const bound = roomy.memory!.bound!;
  const { tables, instances, heap } = roomy.memory!.allowance;
  assert.equal(bound, roomy.memory!.residentAtReady + tables + instances + heap);
  assert.ok(roomy.memory!.residentAtReady > 0);
  assert.deepEqual(roomy.readiness().ready, true);
  const metrics = await scrape(roomy.metricsPort);
  assert.equal(Number(/^fs_edge_memory_bound_bytes (\S+)/m.exec(metrics)?.[1]), bound);
  assert.ok(Number(/^fs_edge_memory_peak_bytes (\S+)/m.exec(metrics)?.[1]) > 0);
  assert.match(metrics, /^fs_edge_memory_over_bound_total \d+/m);
  assert.match(metrics, /^fs_edge_thread_heap_bytes\{thread="main",space="young"\} \d+/m);

  const readiness = tight.readiness();
  assert.equal(readiness.ready, false);
  assert.match((readiness as { reason: string }).reason, /rssLimitBytes 67108864 \(64 MiB\) is below what this edge may take/);
});
