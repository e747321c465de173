import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { MAX_PROGRAM_BUDGET } from '@flowshield/proto';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, logLines, natsConnect, scrape, until, writeSource } from './testing/harness.js';

/** Runs until the instruction budget ends it, on every packet: the most CPU a tenant can ask for. */
const SPIN_C = `#include <flowshield.h>
SEC("cf_ebpf_generic") u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    volatile u64 n = 0;
    (void)ctx;
    for (;;)
        n++;
    return FS_PASS;
}
`;

const token = (bytes: number[]) => Uint8Array.of(1, bytes.length >> 8, bytes.length & 0xff, ...bytes);

test('edge CPU shares - a tenant whose program runs to the budget cap is shed; another tenant on the same edge keeps every round trip', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const log = logLines();
  const service = (tenant: string) => ({ tenant, listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } });
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-shares', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [service('hog'), service('calm')],
  }), { logger: pino({ level: 'warn' }, log.stream) });
  const flooder = await RawClient.bind('127.0.0.7');
  const player = await RawClient.bind('127.0.0.8');
  let flood: NodeJS.Timeout | undefined;
  t.after(async () => { clearInterval(flood); flooder.close(); player.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const hog = edge.service('hog')!;
  const calm = edge.service('calm')!;
  await deploy(nc, 'hog', compileExample('spin.c', writeSource('spin.c', SPIN_C)), { budget: MAX_PROGRAM_BUDGET });
  await deploy(nc, 'calm', compileExample('magic_token.c'));
  await until(() => hog.runtime.version === 1 && calm.runtime.version === 1, 10_000, 'both deployments');

  flood = setInterval(() => { for (let i = 0; i < 32; i++) void flooder.send('spin', hog.address.port); }, 5);
  const ROUND_TRIPS = 40;
  for (let n = 1; n <= ROUND_TRIPS; n++) {
    await player.send(token([n, 0xcf]), calm.address.port);
    await until(() => player.messages.length === n, 30_000, `round trip ${n} of the calm tenant`);
  }
  await until(() => hog.runtime.stats.shed > 0, 30_000, 'the hog shed');
  clearInterval(flood);
  assert.equal(calm.runtime.stats.shed, 0);
  assert.equal(player.messages.length, ROUND_TRIPS);
  assert.ok(hog.runtime.stats.budgetExhausted > 0, 'the hog ran to its budget');
  // Shed packets took the fail verdict (drop) without reaching the origin.
  assert.ok(origin.received.every((d) => d[0] === 1), 'only the calm tenant reached the origin');
  const metrics = await scrape(edge.metricsPort);
  assert.match(metrics, /fs_edge_tenant_shed_total\{tenant="hog"\} [1-9]\d*\n/);
  assert.match(metrics, /fs_edge_tenant_shed_total\{tenant="calm"\} 0\n/);
  assert.ok(log.lines.some((l) => l.msg.includes('over its program CPU share') && l.tenant === 'hog'));
});
