import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, logLines, natsConnect, until } from './testing/harness.js';

// Asked for before udp-batch loads: the twin over node:dgram runs, as where the addon is missing.
process.env.FLOWSHIELD_UDP_BATCH = 'dgram';
const { Edge } = await import('./edge.js');
const { parseEdgeConfig } = await import('./config.js');
const { DGRAM_REUSE_PORT } = await import('@flowshield/udp-batch');

const token = (bytes: number[]) => Uint8Array.of(1, bytes.length >> 8, bytes.length & 0xff, ...bytes);

test('edge dgram fallback - says so once in the log and in a metric, runs one packet worker where dgram cannot share a port, counts malformed datagrams', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const log = logLines();
  const edge = await Edge.start(parseEdgeConfig({
    edgeId: 'edge-dgram', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText], workers: 2,
    services: [{ tenant: 'game', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'info' }, log.stream) });
  const client = await RawClient.bind('127.0.0.41');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const fallbackLines = log.lines.filter((l) => /falls back to dgram/.test(l.msg));
  assert.equal(fallbackLines.length, 1);
  assert.match(fallbackLines[0]!.reason, /FLOWSHIELD_UDP_BATCH/);
  if (!DGRAM_REUSE_PORT) {
    assert.equal(edge.pool, null, 'one packet worker');
    assert.equal(log.lines.filter((l) => /running one/.test(l.msg)).length, 1);
  }
  await deploy(nc, 'game', compileExample('magic_token.c'));
  await until(() => edge.service('game')!.runtime.version === 1, 10_000, 'deployment');
  const port = edge.service('game')!.address.port;
  await client.send(token([1, 2, 0xcf]), port);
  await until(() => client.messages.length === 1, 5_000, 'echo');
  await client.send(new Uint8Array(0), port);
  await client.send(new Uint8Array(1480), port);
  await client.send(new Uint8Array(4000), port);
  await until(() => edge.service('game')!.malformedTotal === 3, 5_000, 'three malformed datagrams');
  const text = await (await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`)).text();
  assert.match(text, /fs_edge_io_implementation\{implementation="dgram"\} 1/);
  assert.match(text, /fs_edge_io_implementation\{implementation="native"\} 0/);
  if (!DGRAM_REUSE_PORT) assert.match(text, /fs_edge_packet_workers 1/);
  for (const reason of ['empty', 'oversize', 'truncated']) assert.match(text, new RegExp(`fs_edge_malformed_total\\{tenant="game",reason="${reason}"\\} 1`));
  assert.match(text, /fs_edge_packets_total\{tenant="game",version="1",verdict="malformed"\} 3/);
  assert.match(text, /fs_edge_packets_total\{tenant="game",version="1",verdict="pass"\} 1/);
});
