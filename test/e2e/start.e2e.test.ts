import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './stack.js';

test('e2e - `flowshield start` brings the stack up, the example client plays through it, Ctrl-C stops it all', async (t) => {
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

  stack.kill('SIGINT');
  assert.equal(await exited, 0);
  assert.ok(lines.includes('stopped'));
});
