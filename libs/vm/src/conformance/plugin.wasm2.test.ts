import assert from 'node:assert/strict';
import { runSuiteThroughPlugin, suiteTest } from './plugin-suite.js';

// Every wasm plugin process loads binaryen (about half a second), so the 313 files are split over
// six test files (by index modulo 6) to keep each well under a minute on two cores.
suiteTest('conformance plugin - answers sixth 2 of the 313 files as a separate process (wasm)', async () => {
  assert.deepEqual(await runSuiteThroughPlugin('wasm', (_file, i) => i % 6 === 2), []);
});
