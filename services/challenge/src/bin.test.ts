import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { freePort, NatsTestServer, testTimeout } from '@flowshield/test-support';

const BIN = new URL('../bin/challenge.js', import.meta.url).pathname;

test('challenge bin - starts from the environment, serves metrics, logs JSON without secrets, stops on SIGTERM', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  const metricsPort = await freePort();
  const master = 'ab'.repeat(32);
  const child = spawn(process.execPath, [BIN], {
    env: { ...process.env, NATS_URL: nats.url, FLOWSHIELD_CHALLENGE_MASTER_KEY: master, FLOWSHIELD_CHALLENGE_METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  try {
    for await (const line of createInterface({ input: child.stdout! })) {
      output += `${line}\n`;
      const entry = JSON.parse(line) as { msg: string };
      if (entry.msg === 'challenge service ready') break;
    }
    assert.match(output, /"msg":"epoch key published"/);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /fs_challenge_current_epoch \d+/);
    assert.match(text, /^fs_challenge_process_cpu_user_seconds_total /m);
    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(Object.keys(await health.json() as object), ['ready', 'epoch']);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);
    assert.ok(!output.includes(master), 'the master key was logged');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await nats.dispose();
  }
});

test('challenge bin - a malformed master key stops it with a one-line reason', { timeout: testTimeout(45_000) }, async () => {
  const child = spawn(process.execPath, [BIN], { env: { ...process.env, FLOWSHIELD_CHALLENGE_MASTER_KEY: 'not-hex', NATS_URL: 'nats://127.0.0.1:1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(out, /"msg":"bad configuration"/);
  assert.ok(!out.includes('not-hex'), 'the (bad) key text is not echoed');
});
