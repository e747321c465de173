import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceFile } from './data-file.js';
import { parsePluginArgs } from './plugin.js';

const SUITE = new URL('../../../../../shared/conformance/tests/', import.meta.url).pathname;
const PLUGIN = new URL('../../bin/bpf-conformance-plugin.js', import.meta.url).pathname;

/** The byte format the bpf_conformance runner writes: two hex digits and two spaces per byte. */
const runnerHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0') + '  ').join('');

function runPlugin(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLUGIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin + '\n');
  });
}

test('conformance plugin - arguments as the runner passes them', () => {
  assert.deepEqual(parsePluginArgs(['00  01  ff  ', '']).memory, Uint8Array.of(0, 1, 0xff));
  assert.equal(parsePluginArgs(['--engine', 'interp', 'aa']).engine, 'interp');
  assert.equal(parsePluginArgs(['aa', '--engine interp']).engine, 'interp');
  assert.throws(() => parsePluginArgs(['--engine', 'jit']), /unknown engine 'jit'/);
  assert.throws(() => parsePluginArgs(['zz']), /not a sequence of hex bytes/);
});

test('conformance plugin - answers all 313 files when driven as a separate process', async () => {
  const files = readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort();
  const failures: string[] = [];
  // Two at a time: each is a process start, and the machine has two cores.
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
      const { code, stdout, stderr } = await runPlugin([runnerHex(testCase.memory), '--engine interp'], runnerHex(testCase.program));
      if (testCase.error !== null) {
        if (code === 0) failures.push(`${file}: expected failure`);
      } else if (code !== 0 || BigInt(stdout.trim()) !== testCase.result) {
        failures.push(`${file}: exit ${code}, stdout '${stdout.trim()}', stderr '${stderr.trim()}'`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  assert.deepEqual(failures, []);
});

test('conformance plugin - a malformed program fails with one line on stderr', async () => {
  const truncatedLddw = '18 00 00 00 44 33 22 11';
  const result = await runPlugin([''], truncatedLddw);
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr.trim(), /^instruction 0: lddw is missing its second slot$/);
});
