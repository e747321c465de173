import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DevResponder } from './dev-responder.js';

// The C SDK (sdk/c): its own tests run under ASan and UBSan from its Makefile (the shared vectors,
// the state machine, the datagram fuzz driver, the C++ wrapper's example, the C# binding when mcs
// is installed); here, its SHA-256 and HMAC against node:crypto, and its example client over real
// UDP against the SDK's DevResponder.
const SDK_C = fileURLToPath(new URL('../../c/', import.meta.url));

function make(...targets: string[]): string {
  const r = spawnSync('make', ['-C', SDK_C, ...targets], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `make ${targets.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

test('c sdk - make test: vectors, state machine, fuzz, C++ example under ASan+UBSan', { timeout: 600_000 }, () => {
  const out = make('test');
  assert.match(out, /4 cases, 15 rejections/);
  assert.match(out, /test-vectors: ok/);
  assert.match(out, /test-client: ok/);
  assert.match(out, /fuzz-datagram: \d+ inputs ok/);
  assert.match(out, /thread: 3 replies/);
});

test('c sdk - SHA-256 and HMAC-SHA256 agree with node:crypto on random keys and messages', { timeout: 600_000 }, () => {
  make('build/san/hashcheck');
  const inputs: { key: Buffer; msg: Buffer }[] = [];
  // every length around the block and padding boundaries, then random ones; keys up to 3 blocks
  for (let n = 0; n < 200; n++) inputs.push({ key: randomBytes(n % 150), msg: randomBytes(n) });
  for (let i = 0; i < 300; i++) inputs.push({ key: randomBytes(Math.floor(Math.random() * 200)), msg: randomBytes(Math.floor(Math.random() * 3000)) });
  const hex = (b: Buffer) => (b.length === 0 ? '-' : b.toString('hex'));
  const r = spawnSync(`${SDK_C}build/san/hashcheck`, { input: inputs.map((x) => `${hex(x.key)} ${hex(x.msg)}`).join('\n') + '\n', encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, inputs.length);
  inputs.forEach(({ key, msg }, i) => {
    const want = `${createHash('sha256').update(msg).digest('hex')} ${createHmac('sha256', key).update(msg).digest('hex')}`;
    assert.equal(lines[i], want, `input ${i}: key ${key.length} bytes, message ${msg.length} bytes`);
  });
});

test('c sdk - example-client is challenged, solves and gets its five packets echoed by a DevResponder', { timeout: 120_000 }, async () => {
  make('build/example-client');
  const responder = await DevResponder.start({ difficulty: { bits: 14, subPuzzles: 8 } });
  try {
    const child = spawn(`${SDK_C}build/example-client`, ['127.0.0.1', String(responder.address().port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /challenge: 8 x 11 bits/);
    assert.deepEqual(responder.received.map((b) => b.toString()), ['move 1', 'move 2', 'move 3', 'move 4', 'move 5']);
    assert.equal((out.match(/^server: /gm) ?? []).length, 5);
  } finally {
    await responder.close();
  }
});

const mono = spawnSync('sh', ['-c', 'command -v mono && command -v mcs'], { encoding: 'utf8' }).status === 0;

test('c sdk - the C# binding example (mono) plays through a DevResponder', { timeout: 120_000, skip: mono || process.env.CI ? false : 'mono-mcs is not installed (apt-get install mono-mcs); CI installs it and runs this' }, async () => {
  make('build/libflowshield.so', 'csharp');
  const responder = await DevResponder.start({ difficulty: { bits: 12, subPuzzles: 4 } });
  try {
    const child = spawn('mono', [`${SDK_C}build/FlowshieldExample.exe`, '127.0.0.1', String(responder.address().port)], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LD_LIBRARY_PATH: `${SDK_C}build` },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /challenges 1, solved 1/);
    assert.deepEqual(responder.received.map((b) => b.toString()), ['move 1', 'move 2', 'move 3', 'move 4', 'move 5']);
  } finally {
    await responder.close();
  }
});
