import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { EchoOrigin, freePort, scrape, testTimeout } from '@flowshield/test-support';
import { ROOT, Stack, metric, spawnProcess } from './stack.js';

async function health(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

/** Polls /healthz until it answers 200 (a hang ends at the test's own time limit). */
async function untilReady(port: number): Promise<Record<string, unknown>> {
  for (;;) {
    const h = await health(port).catch(() => null);
    if (h?.status === 200) return h.body;
    await new Promise((r) => setTimeout(r, 200));
  }
}

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
  const stateMetricsPort = await freePort();
  const state = spawnProcess('state-late', [join(ROOT, 'services/state/bin/state.js'), '--server', stack.nats.url, '--db', db, '--replica-id', 'late', '--metrics-port', String(stateMetricsPort), '--creds', stack.nats.creds('state')]);
  stack.procs.push(state);
  const metricsPort = await freePort();
  const config = join(stack.dir, 'edge-late.json');
  writeFileSync(config, JSON.stringify({
    edgeId: 'edge-a', nats: { servers: [stack.nats.url], creds: stack.nats.creds('edge', 'edge-a') }, replicaPath: db, metrics: { port: metricsPort }, operatorKeys: [stack.operator.publicKey],
    services: [{ tenant: 'late', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }));
  const edge = spawnProcess('edge-late', [join(ROOT, 'services/edge/bin/edge.js'), '--config', config]);
  stack.procs.push(edge);

  await state.waitFor((l) => l.msg === 'NATS not reachable yet; retrying', 60_000);
  await edge.waitFor((l) => l.msg === 'edge started', 60_000);
  await edge.waitFor((l) => l.what === 'nats connection' && /retrying/.test(l.msg), 60_000);
  assert.equal(await metric(metricsPort, /^fs_edge_nats_connected (\d+)$/m), 0);
  // Alive but not ready: /healthz says 503 and why, beside /metrics, on both services.
  assert.deepEqual(await health(stateMetricsPort), { status: 503, body: { ready: false, reason: 'not connected to NATS' } });
  assert.deepEqual(await health(metricsPort), { status: 503, body: { ready: false, reason: 'not connected to NATS' } });
  // Still alive a while later, and not logging every attempt.
  await new Promise((r) => setTimeout(r, 3_000));
  assert.equal(state.child.exitCode, null, 'the state service exited');
  assert.equal(edge.child.exitCode, null, 'the edge exited');
  // It retries every second but logs at most once per 10 s (a loaded machine only widens gaps).
  const retryLines = state.logs.filter((l) => l.msg === 'NATS not reachable yet; retrying').map((l) => l.time as number);
  assert.ok(retryLines.every((t, i) => i === 0 || t - retryLines[i - 1]! >= 9_000), `the state service logs at a rate limit (${retryLines.join(', ')})`);

  await stack.nats.start();
  await state.waitFor((l) => l.msg === 'state service started', 30_000);
  stack.cli(['deploy', stack.compile('magic_token.c'), '--tenant', 'late']);
  await edge.waitFor((l) => l.msg === 'program deployed', 30_000);
  assert.equal(await metric(metricsPort, /^fs_edge_nats_connected (\d+)$/m), 1);
  // Ready once connected and caught up: the edge with its program and the replica open, the
  // state service with its consumer lag within the bound.
  assert.deepEqual(await untilReady(metricsPort), { ready: true, programs: { late: 1 } });
  const stateReady = await untilReady(stateMetricsPort);
  assert.equal(stateReady.ready, true);
  assert.ok(Number(stateReady.lag) <= 100, `lag ${String(stateReady.lag)}`);
  // Process metrics carry the service's prefix once.
  for (const [port, prefix] of [[metricsPort, 'fs_edge_'], [stateMetricsPort, 'fs_state_']] as const) {
    const text = await scrape(port);
    assert.match(text, new RegExp(`^${prefix}process_cpu_seconds_total `, 'm'));
    assert.doesNotMatch(text, /^fs_\w*?(process_process|fs_)/m, 'a doubled prefix');
  }
});
