import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { NatsTestServer, scrape } from '@flowshield/test-support';
import { AnalyticsTags, OTHER_TAG } from './analytics-tags.js';
import { RateLimitedLog } from '@flowshield/service-log';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, logLines, natsConnect, until } from './testing/harness.js';

/** A logger whose JSON lines land in an array. */
function capturingLogger() {
  const { lines, stream } = logLines();
  return { logger: pino({ level: 'info' }, stream), lines };
}

test('analytics tags - the first 64 distinct tags get their own label, later ones count as other', () => {
  const tags = new AnalyticsTags(3);
  assert.equal(tags.count(7n), '7');
  assert.equal(tags.count(2n ** 64n - 1n), '18446744073709551615');
  assert.equal(tags.count(7n), '7');
  assert.equal(tags.count(9n), '9');
  assert.equal(tags.count(10n), OTHER_TAG);
  assert.equal(tags.count(11n), OTHER_TAG);
  assert.equal(tags.count(9n), '9', 'a tag with a label keeps it');
  assert.deepEqual([...tags.counts], [['7', 2], ['18446744073709551615', 1], ['9', 2], [OTHER_TAG, 2]]);
  assert.equal(tags.overflowed, 2);
});

test('analytics tags - the sampled info line goes through the rate-limited log: one line per interval with what it suppressed', () => {
  const { logger, lines } = capturingLogger();
  const log = new RateLimitedLog(logger, 3_600_000);
  let made = 0;
  for (let i = 0; i < 100; i++) log.info('analytics_tag:t', () => ({ tag: String(i), made: ++made }), 'analytics tag (sampled)');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.level, 30);
  assert.equal(lines[0]!.tag, '0');
  assert.equal(made, 1, 'fields are made only for the line written');
  log.warn('other-kind', {}, 'a warning of another kind is not held back');
  assert.equal(lines.length, 2);
});

const TAGGER = fileURLToPath(new URL('../../../programs/test/fixtures/pfp_analytics_tag.c', import.meta.url));

test('edge - set_network_analytics_tag feeds fs_edge_analytics_tag_packets_total{tenant,tag} (bounded labels) and a sampled log line', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const { logger, lines } = capturingLogger();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-tags', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [{ tenant: 'tags', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger });
  const client = await RawClient.bind('127.0.0.2');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  await deploy(nc, 'tags', compileExample('pfp_analytics_tag.c', TAGGER));
  await until(() => edge.service('tags')!.runtime.version === 1, 10_000, 'deployment');
  const port = edge.service('tags')!.address.port;
  const stats = edge.service('tags')!.runtime.stats;
  for (const tag of [1, 1, 2, 0]) client.send(Uint8Array.of(tag, 0xaa), port);
  await until(() => stats.packets.pass === 4, 10_000, 'the first packets');
  // 70 more distinct tags: 3..72, of which 62 still get a label (64 in all) and 8 count as other.
  for (let tag = 3; tag <= 72; tag++) client.send(Uint8Array.of(tag), port);
  await until(() => stats.packets.pass === 74, 10_000, 'every packet');
  const metrics = await scrape(edge.metricsPort);
  assert.match(metrics, /fs_edge_analytics_tag_packets_total\{tenant="tags",tag="1"\} 2\n/);
  assert.match(metrics, /fs_edge_analytics_tag_packets_total\{tenant="tags",tag="2"\} 1\n/);
  assert.match(metrics, /fs_edge_analytics_tag_packets_total\{tenant="tags",tag="other"\} 8\n/);
  assert.doesNotMatch(metrics, /tag="0"/, 'an untagged packet is not counted');
  const labels = [...metrics.matchAll(/fs_edge_analytics_tag_packets_total\{tenant="tags",tag="([^"]+)"\}/g)].map((m) => m[1]);
  assert.equal(labels.length, 65, '64 tags and other');
  const sampled = lines.filter((l) => l.msg === 'analytics tag (sampled)');
  assert.ok(sampled.length >= 1);
  assert.equal(sampled[0]!.tenant, 'tags');
  assert.equal(sampled[0]!.tag, '1');
  assert.equal(sampled[0]!.source, '127.0.0.2');
  assert.equal(sampled[0]!.verdict, 'pass');
  assert.equal(origin.received.length, 74);
});
