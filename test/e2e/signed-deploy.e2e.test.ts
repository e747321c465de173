import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Kvm } from '@nats-io/kv';
import { PROGRAMS_BUCKET, decodeDeployment, deploymentKey, encodeDeployment } from '@flowshield/proto';
import { EchoOrigin } from '@flowshield/test-support';
import { Stack, metric, until } from './stack.js';

test('e2e - deployments signed with the key `keys operator init` made are applied, rollback re-signs, an unsigned record is refused', async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  t.after(async () => { origin.close(); await stack.stop(); });
  await stack.startNats(['edge-signed']); // runs `flowshield keys operator init --out <stack dir>`
  assert.equal(readFileSync(`${stack.dir}/operator.pub`, 'utf8').trim(), stack.operator.publicKey);
  const [magic, rate] = [stack.compile('magic_token.c'), stack.compile('rate_limit.c')];
  stack.cli(['deploy', magic, '--tenant', 'arena']);
  stack.cli(['deploy', rate, '--tenant', 'arena']);
  const edge = await stack.startEdge('edge-signed', { replicaPath: null, tenant: 'arena', originPort: origin.port });
  await edge.proc.waitFor((l) => l.msg === 'program deployed' && l.version === 2);

  stack.cli(['rollback', '--tenant', 'arena']);
  await edge.proc.waitFor((l) => l.msg === 'program deployed' && l.version === 1);

  // Someone with write access to the bucket (but not the key) strips the signature and raises the version.
  const nc = await stack.connectAs('operator');
  try {
    const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
    const live = decodeDeployment((await kv.get(deploymentKey('arena')))!.value);
    await kv.put(deploymentKey('arena'), encodeDeployment({ ...live, version: 9, signature: null }));
  } finally {
    await nc.close();
  }
  const refused = await edge.proc.waitFor((l) => l.msg === 'deployment refused; the running program stays');
  assert.equal(refused.result, 'unsigned');
  assert.equal(refused.running, 1);
  await until(async () => (await metric(edge.metricsPort, /fs_edge_program_swaps_total\{tenant="arena",result="unsigned"\} (\d+)/)) === 1, 10_000, 'the unsigned refusal counted');
  assert.equal(await metric(edge.metricsPort, /fs_edge_program_version\{tenant="arena"\} (\d+)/), 1);
  assert.equal(await metric(edge.metricsPort, /fs_edge_program_swaps_total\{tenant="arena",result="applied"\} (\d+)/), 2);
});
