import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { NatsTestServer } from '@flowshield/test-support';
import { Kvm } from '@nats-io/kv';
import { MAX_PROGRAM_BUDGET, OperatorSigner, PROGRAMS_BUCKET, deploymentKey, encodeDeployment } from '@flowshield/proto';
import { Edge } from './edge.js';
import { parseEdgeConfig } from './config.js';
import { EchoOrigin, RawClient, TEST_OPERATOR, compileExample, deploy, logLines, natsConnect, scrape, until, writeSource } from './testing/harness.js';

const token = (bytes: number[]) => Uint8Array.of(1, bytes.length >> 8, bytes.length & 0xff, ...bytes);

test('edge signed deployments - unsigned, foreign-key, altered and over-budget records are refused and counted; the running program keeps serving', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const log = logLines();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-signed', nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [TEST_OPERATOR.publicKeyText],
    programLimits: { maxBudget: 200_000 },
    services: ['game', 'other'].map((tenant) => ({ tenant, listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: origin.port } })),
  }), { logger: pino({ level: 'info' }, log.stream) });
  const client = await RawClient.bind('127.0.0.5');
  t.after(async () => { client.close(); origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  const runtime = edge.service('game')!.runtime;
  const port = edge.service('game')!.address.port;
  const magic = compileExample('magic_token.c');
  const passAll = compileExample('pass_all.c', writeSource('pass_all.c', '#include <flowshield.h>\nSEC("cf_ebpf_generic") u64 cf_ebpf_main(struct fs_ctx *ctx) { (void)ctx; return FS_PASS; }\n'));
  const roundTrip = async (n: number) => {
    await client.send(token([n, 0xcf]), port);
    await until(() => client.messages.length === n, 5_000, `round trip ${n}`);
  };

  await deploy(nc, 'game', magic);
  await until(() => runtime.version === 1, 10_000, 'the signed deployment');
  await roundTrip(1);

  const refusals: [string, () => Promise<unknown>][] = [
    ['unsigned', () => deploy(nc, 'game', passAll, { version: 2 }, { signer: null })],
    ['bad_signature', () => deploy(nc, 'game', passAll, { version: 3 }, { signer: OperatorSigner.generate().signer })],
    // Signed, then changed by someone with write access to the bucket: the budget, or the object with a matching sha256.
    ['bad_signature', () => deploy(nc, 'game', magic, { version: 4 }, { tamper: { budget: 150_000 } })],
    ['bad_signature', () => deploy(nc, 'game', magic, { version: 5 }, { tamper: { object: passAll, sha256: createHash('sha256').update(passAll).digest('hex') } })],
    ['bad_signature', () => deploy(nc, 'game', magic, { version: 6 }, { tamper: { monitoring: true } })],
    ['over_budget', () => deploy(nc, 'game', magic, { version: 7, budget: MAX_PROGRAM_BUDGET + 1 })],
    ['over_budget', () => deploy(nc, 'game', magic, { version: 8, budget: 300_000 })], // under the format's cap, over this edge's
  ];
  const expected: Record<string, number> = { unsigned: 0, bad_signature: 0, over_budget: 0 };
  for (const [result, write] of refusals) {
    await write();
    expected[result]!++;
    await until(() => runtime.stats.swaps[result as 'unsigned'] === expected[result], 10_000, `refusal ${result} #${expected[result]}`);
    assert.equal(runtime.version, 1, 'the running program stays');
    const line = log.lines.findLast((l) => l.msg === 'deployment refused; the running program stays');
    assert.equal(line?.result, result);
  }
  // Still the magic-token program: a bad token is dropped, a good one echoed.
  await client.send(token([9, 0xce]), port);
  await roundTrip(2);
  assert.equal(origin.received.length, 2);
  const metrics = await scrape(edge.metricsPort);
  assert.match(metrics, /fs_edge_program_swaps_total\{tenant="game",result="applied"\} 1\n/);
  assert.match(metrics, /fs_edge_program_swaps_total\{tenant="game",result="unsigned"\} 1\n/);
  assert.match(metrics, /fs_edge_program_swaps_total\{tenant="game",result="bad_signature"\} 4\n/);
  assert.match(metrics, /fs_edge_program_swaps_total\{tenant="game",result="over_budget"\} 2\n/);

  // An old signed record written back (here: the running one's predecessor time, and v1 itself
  // replayed after v9 runs) is stale: a downgrade needs the operator key, not bucket access.
  const v1 = runtime.deployment!;
  await deploy(nc, 'game', passAll, { version: 10, deployedAt: v1.deployedAt - 1 });
  await until(() => runtime.stats.swaps.stale === 1, 10_000, 'the stale record refused');
  assert.equal(runtime.version, 1);

  // A record signed for one tenant, copied under another tenant's key, is applied to neither.
  await deploy(nc, 'game', passAll, { tenant: 'other', version: 1 });
  await until(() => edge.control.badRecords === 1, 10_000, 'the misplaced record rejected');
  assert.equal(edge.service('other')!.runtime.version, 0);
  assert.equal(runtime.version, 1);

  // A correctly signed new version is applied.
  await deploy(nc, 'game', passAll, { version: 9 });
  await until(() => runtime.version === 9, 10_000, 'the next signed version');
  await client.send('anything', port);
  await until(() => client.messages.length === 3, 5_000, 'pass-all echo');
  const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
  await kv.put(deploymentKey('game'), encodeDeployment(v1));
  await until(() => runtime.stats.swaps.stale === 2, 10_000, 'the replayed v1 refused');
  assert.equal(runtime.version, 9);
  assert.match(await scrape(edge.metricsPort), /fs_edge_program_swaps_total\{tenant="game",result="stale"\} 2\n/);
});

test('edge signed deployments - an edge without operatorKeys says so at start and refuses every deployment', async (t) => {
  const nats = await NatsTestServer.start();
  const nc = await natsConnect(nats.url);
  const origin = await EchoOrigin.start();
  const log = logLines();
  const edge = await Edge.start(parseEdgeConfig({
    workers: 1, edgeId: 'edge-keyless', nats: { servers: [nats.url] }, metrics: { port: 0 },
    services: [{ tenant: 'game', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: origin.port } }],
  }), { logger: pino({ level: 'info' }, log.stream) });
  t.after(async () => { origin.close(); await edge.stop(); await nc.close(); await nats.dispose(); });
  assert.ok(log.lines.some((l) => l.level === 40 && /no operatorKeys configured: every deployment will be refused/.test(l.msg)));
  await deploy(nc, 'game', compileExample('magic_token.c'));
  const runtime = edge.service('game')!.runtime;
  // >= 1: the record present at start can arrive twice (the first read and the watch).
  await until(() => runtime.stats.swaps.bad_signature >= 1, 10_000, 'the refusal');
  assert.equal(runtime.version, 0);
  assert.match(runtime.lastRefusal!, /no operatorKeys configured/);
});

test('edge config - operatorKeys and programLimits are validated', () => {
  const base = { edgeId: 'e', services: [{ tenant: 't', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 1 } }] };
  assert.deepEqual(parseEdgeConfig(base).operatorKeys, []);
  assert.deepEqual(parseEdgeConfig(base).programLimits, { maxBudget: MAX_PROGRAM_BUDGET, cpuMsPerSecond: 500 });
  assert.equal(parseEdgeConfig(base).services[0]!.cpuShare, 1);
  assert.deepEqual(parseEdgeConfig({ ...base, operatorKeys: [TEST_OPERATOR.publicKeyText] }).operatorKeys, [TEST_OPERATOR.publicKeyText]);
  assert.throws(() => parseEdgeConfig({ ...base, operatorKeys: ['ed25519:00'] }), /operatorKeys\[0\]: operator public key must be ed25519: followed by 64/);
  assert.throws(() => parseEdgeConfig({ ...base, operatorKeys: 'x' }), /operatorKeys must be a list/);
  assert.throws(() => parseEdgeConfig({ ...base, programLimits: { maxBudget: MAX_PROGRAM_BUDGET + 1 } }), /programLimits\.maxBudget must be an integer from 1 to 1000000/);
  assert.throws(() => parseEdgeConfig({ ...base, services: [{ ...base.services[0], cpuShare: 1.5 }] }), /cpuShare must be a fraction/);
});
