import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePluginArgs } from './plugin.js';
import { runPlugin, runSuiteThroughPlugin, suiteTest } from './plugin-suite.js';

test('conformance plugin - arguments as the runner passes them', () => {
  assert.deepEqual(parsePluginArgs(['00  01  ff  ', '']).memory, Uint8Array.of(0, 1, 0xff));
  assert.equal(parsePluginArgs(['--engine', 'interp', 'aa']).engine, 'interp');
  assert.equal(parsePluginArgs(['aa', '']).engine, 'wasm');
  assert.equal(parsePluginArgs(['aa', '--engine=wasm']).engine, 'wasm');
  assert.equal(parsePluginArgs(['aa', '--engine interp']).engine, 'interp');
  assert.throws(() => parsePluginArgs(['--engine', 'jit']), /unknown engine 'jit'/);
  assert.throws(() => parsePluginArgs(['zz']), /not a sequence of hex bytes/);
});

suiteTest('conformance plugin - answers all 313 files when driven as a separate process (interp)', async () => {
  assert.deepEqual(await runSuiteThroughPlugin('interp', () => true), []);
});

test('conformance plugin - a malformed program fails with one line on stderr', async () => {
  const truncatedLddw = '18 00 00 00 44 33 22 11';
  const result = await runPlugin(['', '--engine interp'], truncatedLddw);
  assert.notEqual(result.code, 0);
  assert.equal(result.stdout, '');
  assert.match(result.stderr.trim(), /^instruction 0: lddw is missing its second slot$/);
});
