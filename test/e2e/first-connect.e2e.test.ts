import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { EchoOrigin, freePort, testTimeout } from '@flowshield/test-support';
import { ROOT, Stack, metric, spawnProcess } from './stack.js';

/*
 * Issue 11, item 7: the state service and the edge started while NATS is down keep retrying their
 * first connection (logging at a rate limit) instead of exiting, and work once NATS is up.
 */
test('e2e - state service and edge started before NATS retry their first connection, then run', { timeout: testTimeout(120_000) }, async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  t.after(async () => { origin.close(); await stack.stop(); });
  await stack.startNats(['edge-a']);
  await stack.nats.stop();

  const db = join(stack.dir, 'replica-late');
  const state = spawnProcess('state-late', [join(ROOT, 'services/state/bin/state.js'), '--server', stack.nats.url, '--db', db, '--replica-id', 'late', '--metrics-port', '0', '--creds', stack.nats.creds('state')]);
  stack.procs.push(state);
  const metricsPort = await freePort();
  const config = join(stack.dir, 'edge-late.json');
  writeFileSync(config, JSON.stringify({
    edgeId: 'edge-a', nats: { servers: [stack.nats.url], creds: stack.nats.creds('edge', 'edge-a') }, replicaPath: db, metrics: { port: metricsPort }, operatorKeys: [stack.operator.publicKey],
    services: [{ tenant: 'late', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }));
  const edge = spawnProcess('edge-late', [join(ROOT, 'services/edge/bin/edge.js'), '--config', config]);
  stack.procs.push(edge);

  await state.waitFor((l) => l.msg === 'NATS not reachable yet; retrying', 20_000);
  await edge.waitFor((l) => l.msg === 'edge started', 20_000);
  await edge.waitFor((l) => l.what === 'nats connection' && /retrying/.test(l.msg), 20_000);
  assert.equal(await metric(metricsPort, /^fs_edge_nats_connected (\d+)$/m), 0);
  // Still alive a while later, and not logging every attempt.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal(state.child.exitCode, null, 'the state service exited');
  assert.equal(edge.child.exitCode, null, 'the edge exited');
  assert.ok(state.logs.filter((l) => l.msg === 'NATS not reachable yet; retrying').length <= 2, 'the state service logs at a rate limit');

  await stack.nats.start();
  await state.waitFor((l) => l.msg === 'state service started', 30_000);
  stack.cli(['deploy', stack.compile('magic_token.c'), '--tenant', 'late']);
  await edge.waitFor((l) => l.msg === 'program deployed', 30_000);
  assert.equal(await metric(metricsPort, /^fs_edge_nats_connected (\d+)$/m), 1);
});
