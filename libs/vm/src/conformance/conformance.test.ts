import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceFile } from './data-file.js';
import { runConformance } from './run-case.js';
import { runConformanceWasm } from './run-case-wasm.js';
import type { RunResult } from '../interpreter/interpreter.js';
import { assemble } from '../isa/assemble.js';
import { disassemble } from '../isa/disassemble.js';

import { conformanceSuite } from './suite-path.js';
import { loadCompiler } from '../wasm/compiler.js';

await loadCompiler();

const SUITE = conformanceSuite() ?? '';
const files = SUITE ? readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort() : [];
// In a bare clone (no suite) no test here is defined; the runner's summary says why.
const suiteTest = SUITE ? test : () => undefined;

suiteTest('conformance - the suite is present and complete', () => {
  assert.equal(files.length, 313);
});

function checkSuite(run: (program: Uint8Array, memory: Uint8Array) => RunResult): string[] {
  const failures: string[] = [];
  for (const file of files) {
    let testCase;
    try {
      testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    let result: RunResult;
    try {
      result = run(testCase.program, testCase.memory);
    } catch (err) {
      // A program the decoder refuses is an error result, as the plugin reports it.
      if (testCase.error === null) failures.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    if (testCase.error !== null) {
      if (result.ok) failures.push(`${file}: expected an error, got 0x${result.value.toString(16)}`);
    } else if (!result.ok) {
      failures.push(`${file}: ${result.fault!.message}`);
    } else if (result.value !== testCase.result) {
      failures.push(`${file}: r0 = 0x${result.value.toString(16)}, expected 0x${testCase.result!.toString(16)}`);
    }
  }
  return failures;
}

suiteTest('conformance - every file passes on the interpreter', () => {
  assert.deepEqual(checkSuite(runConformance), []);
});

suiteTest('conformance - every file passes on the wasm engine', () => {
  assert.deepEqual(checkSuite(runConformanceWasm), []);
});

suiteTest('conformance - every program round-trips through the disassembler and assembler', () => {
  for (const file of files) {
    const { program } = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    for (const labels of [true, false]) {
      const text = disassemble(program, { labels });
      assert.deepEqual(assemble(text), program, `${file} (labels: ${labels}):\n${text}`);
    }
  }
});
