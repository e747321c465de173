import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, eventStreamBounds, readEventHistory } from '@flowshield/events';
import { bytes16ToIp, STATUS_NAMES, type Status } from '@flowshield/proto';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, natsConnect, until } from './testing/harness.js';

/*
 * A program that sets the status the first payload byte names: 'v' VERIFIED, 'c' CHALLENGED,
 * 'b' BLOCKED, 'n' NONE; anything else leaves it. Every packet is dropped.
 */
const SETTER = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view pkt;
    if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK || !fs_has(&pkt, pkt.payload, 1))
        return FS_DROP;
    switch (pkt.payload[0]) {
    case 'v': fs_set_src_ip_status(FS_STATUS_VERIFIED, 3600); break;
    case 'c': fs_set_src_ip_status(FS_STATUS_CHALLENGED, 60); break;
    case 'b': fs_set_src_ip_status(FS_STATUS_BLOCKED, 600); break;
    case 'n': fs_set_src_ip_status(FS_STATUS_NONE, 0); break;
    }
    return FS_DROP;
}
`;

test('edge state - first contacts stay local; VERIFIED, BLOCKED and downgrades from them are published', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  await ensureEventStreams(nc);
  const origin = await EchoOrigin.start();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-scope', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    services: [{ tenant: 'scope', listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'silent' }) });
  const client = await RawClient.bind('127.0.0.21');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const source = join(mkdtempSync(join(tmpdir(), 'flowshield-scope-')), 'setter.c');
  writeFileSync(source, SETTER);
  await deploy(nc, 'scope', compileExample('setter.c', source));
  const service = edge.service('scope')!;
  await until(() => service.runtime.version === 1, 10_000, 'deployment');
  const port = service.address.port;

  // Each step waits for its packet to be counted, so the transitions happen in this order.
  const steps = ['c', 'c', 'n', 'c', 'v', 'c', 'c', 'b', 'n', 'c'];
  for (const [i, step] of steps.entries()) {
    await client.send(step, port);
    await until(() => service.runtime.stats.packets.drop === i + 1, 5_000, `packet ${i + 1}`);
  }
  await edge.publisher.flush();

  const published: string[] = [];
  const { lastSeq } = await eventStreamBounds(nc);
  for await (const entry of readEventHistory(nc, { endSeq: lastSeq })) {
    for (const e of entry.batch!.events) {
      assert.equal(bytes16ToIp(e.ip), '127.0.0.21');
      published.push(`${STATUS_NAMES[e.prevStatus]}->${STATUS_NAMES[e.status]}`);
    }
  }
  assert.deepEqual(published, [
    'CHALLENGED->VERIFIED', // becoming VERIFIED: every edge must pass it
    'VERIFIED->CHALLENGED', // a downgrade by the program: every edge must stop passing it
    'CHALLENGED->BLOCKED',
    'BLOCKED->NONE',        // an unblock
  ]);
  const state = service.runtime.host.state;
  // c, c, n, c before VERIFIED; c after the downgrade; c after the unblock (NONE → CHALLENGED).
  assert.deepEqual(state.localTransitions.map((n, s) => `${STATUS_NAMES[s as Status]}=${n}`), ['NONE=1', 'CHALLENGED=5', 'VERIFIED=0', 'BLOCKED=0']);
  assert.equal(state.getStatus(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 21), Date.now() / 1000)?.status, 1, 'the local status applies here');
  const metrics = await (await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`)).text();
  assert.match(metrics, /fs_edge_status_local_total\{tenant="scope",status="CHALLENGED"\} 5/);
  assert.match(metrics, /fs_edge_status_local_total\{tenant="scope",status="NONE"\} 1/);
  assert.match(metrics, /fs_edge_events_total\{outcome="published"\} 4/);
});
