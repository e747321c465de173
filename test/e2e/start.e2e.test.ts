import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from '@nats-io/transport-node';
import { ROOT } from './stack.js';

const CLI = join(ROOT, 'cli/bin/flowshield.js');

test('e2e - `flowshield start` brings the stack up, the example client plays through it, Ctrl-C (twice) stops it all', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flowshield-start-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const stack = spawn(process.execPath, [join(ROOT, 'cli/bin/flowshield.js'), 'start', '--data-dir', dataDir, '--edge-port', '37015', '--origin-port', '37016', '--nats-port', '14222'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NATS_URL: '' } });
  const exited = new Promise<number | null>((resolve) => stack.once('exit', (code) => resolve(code)));
  t.after(() => { if (stack.exitCode === null) stack.kill('SIGKILL'); });
  const lines: string[] = [];
  createInterface({ input: stack.stdout! }).on('line', (l) => lines.push(l));
  let stderr = '';
  stack.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 60_000;
  while (!lines.some((l) => l.startsWith('Ctrl-C stops everything'))) {
    if (Date.now() > deadline || stack.exitCode !== null) assert.fail(`the stack did not start:\n${lines.join('\n')}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // stack.json: exactly the documented shape, absolute paths, credentials files mode 0600.
  const stackPath = join(dataDir, 'stack.json');
  const stackJson = JSON.parse(readFileSync(stackPath, 'utf8'));
  assert.deepEqual(Object.keys(stackJson), ['nats', 'edges', 'replicas', 'credentials']);
  assert.match(stackJson.nats, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(stackJson.edges.length, 1);
  assert.deepEqual(Object.keys(stackJson.edges[0]), ['id', 'region', 'listen', 'metrics']);
  assert.equal(stackJson.edges[0].id, 'local-edge');
  assert.match(stackJson.edges[0].listen, /^127\.0\.0\.1:\d+$/);
  assert.match(stackJson.edges[0].metrics, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  assert.deepEqual(stackJson.replicas, [{ region: 'local', db: join(dataDir, 'state') }]);
  assert.deepEqual(Object.keys(stackJson.credentials), ['operator', 'edge', 'state', 'challenge']);
  for (const path of Object.values(stackJson.credentials) as string[]) {
    assert.ok(path.startsWith('/') && existsSync(path), path);
    assert.equal(statSync(path).mode & 0o777, 0o600, `${path} is not mode 0600`);
  }
  assert.equal(statSync(join(dataDir, 'access', 'nats-server.conf')).mode & 0o777, 0o600);
  // Auth is on: no connection without credentials.
  await assert.rejects(connect({ servers: stackJson.nats, timeout: 5_000, maxReconnectAttempts: 0 }), /authorization/i);
  // The CLI finds the stack and the operator's credentials through stack.json alone.
  const cliEnv = { ...process.env, NATS_URL: '', NATS_CREDS: '', FLOWSHIELD_DATA_DIR: '' };
  const listed = spawnSync(process.execPath, [CLI, 'programs', '--json', '--verbose', '--data-dir', dataDir], { env: cliEnv, encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  assert.equal(JSON.parse(listed.stdout).programs[0].tenant, 'demo');
  assert.match(listed.stderr, new RegExp(`nats ${stackJson.nats} \\(from ${stackPath}\\), credentials ${stackJson.credentials.operator}`));
  const object = join(dataDir, 'program.o');
  const deployed = JSON.parse(execFileSync(process.execPath, [CLI, 'deploy', object, '--tenant', 'demo', '--json'], { env: { ...cliEnv, FLOWSHIELD_DATA_DIR: dataDir }, encoding: 'utf8' }));
  assert.equal(deployed.version, 2);
  // With the edge's credentials, the same deploy is refused.
  const refused = spawnSync(process.execPath, [CLI, 'deploy', object, '--tenant', 'demo', '--data-dir', dataDir, '--creds', stackJson.credentials.edge], { env: cliEnv, encoding: 'utf8' });
  assert.notEqual(refused.status, 0);

  const hint = lines.find((l) => l.includes('sdk/client/examples/client.mjs'))!;
  const port = hint.split(' ').pop()!;
  const client = spawn(process.execPath, [join(ROOT, 'sdk/client/examples/client.mjs'), '127.0.0.1', port], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  client.stdout!.on('data', (d) => (out += d));
  const clientCode = await new Promise<number | null>((resolve) => client.once('exit', resolve));
  assert.equal(clientCode, 0, out);
  assert.match(out, /server: echo: move 5/);

  // The demo deployment was signed with the operator key made in the data dir, which the edge trusts alone.
  assert.equal(statSync(join(dataDir, 'operator.key')).mode & 0o777, 0o600);
  const edgeConfig = JSON.parse(readFileSync(join(dataDir, 'edge.json'), 'utf8')) as { operatorKeys: string[] };
  assert.deepEqual(edgeConfig.operatorKeys, [readFileSync(join(dataDir, 'operator.pub'), 'utf8').trim()]);

  // Ctrl-C twice (an impatient operator): the stop still finishes and takes every child down.
  stack.kill('SIGINT');
  while (!lines.includes('stopping…') && stack.exitCode === null) await new Promise((r) => setTimeout(r, 20));
  stack.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.ok(lines.includes('stopped'));
  await assert.rejects(connect({ servers: stackJson.nats, timeout: 5_000, maxReconnectAttempts: 0 }), 'nats-server outlived the stack');
  assert.ok(!existsSync(stackPath), 'stack.json outlived the stack');
});
