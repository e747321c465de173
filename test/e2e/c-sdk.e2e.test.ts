import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { EchoOrigin } from '@flowshield/test-support';
import { ROOT, Stack, metric, until } from './stack.js';

// The C SDK's example client (sdk/c) through a real edge: nats-server, the state and challenge
// services, an edge running challenge.c. Several C clients at once, each from its own address, are
// challenged, solve, and get each of their game packets echoed by the origin.
const SDK_C = join(ROOT, 'sdk/c');
const BUILD = 'build/e2e'; // its own build folder: the sdk/client test may be running make at the same time

function runClient(port: number, localAddress: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(join(SDK_C, BUILD, 'example-client'), ['127.0.0.1', String(port), '5', localAddress], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  // 'close', not 'exit': only then has all of the output been read
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out })));
}

test('e2e - several C SDK clients at once are challenged, solve, and play through an edge', { timeout: 180_000 }, async (t) => {
  const made = spawnSync('make', ['-C', SDK_C, `BUILD=${BUILD}`, `${BUILD}/example-client`], { encoding: 'utf8' });
  assert.equal(made.status, 0, `${made.stdout}\n${made.stderr}`);
  const stack = new Stack();
  const origin = await EchoOrigin.start('echo: '); // the same replies as npm start's game server
  t.after(async () => {
    origin.close();
    await stack.stop();
  });
  await stack.startNats();
  const state = await stack.startState('a');
  await stack.startChallenge();
  stack.cli(['deploy', stack.compile('challenge.c'), '--tenant', 'arena']);
  const edge = await stack.startEdge('edge-a', { replicaPath: state.db, tenant: 'arena', originPort: origin.port, publicPort: 207, difficultyBits: 12 });
  await stack.edgeReady(edge);

  const addresses = ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24', '127.0.0.25', '127.0.0.26'];
  const results = await Promise.all(addresses.map((a) => runClient(edge.port, a)));
  results.forEach(({ code, out }, i) => {
    assert.equal(code, 0, `client ${addresses[i]}:\n${out}`);
    assert.match(out, /^challenge: 4 x \d+ bits$/m, out);
    for (let k = 1; k <= 5; k++) assert.match(out, new RegExp(`^server: echo: move ${k}$`, 'm'), out);
  });
  // Every client's answer was accepted by the edge; only their game packets reached the origin.
  assert.ok((await metric(edge.metricsPort, /fs_edge_challenge_answers_total\{tenant="arena",result="accepted"\} (\d+)/)) >= addresses.length);
  const received = origin.received.map((d) => d.toString());
  assert.ok(received.every((d) => /^move [1-5]$/.test(d)), JSON.stringify(received));
  assert.ok(received.length >= 5 * addresses.length);
});
