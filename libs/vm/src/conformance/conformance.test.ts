import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceFile } from './data-file.js';
import { runConformance } from './run-case.js';
import { assemble } from '../isa/assemble.js';
import { disassemble } from '../isa/disassemble.js';

const SUITE = new URL('../../../../../shared/conformance/tests/', import.meta.url).pathname;
const files = readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort();

test('conformance - the suite is present and complete', () => {
  assert.equal(files.length, 313);
});

test('conformance - every file passes on the interpreter', () => {
  const failures: string[] = [];
  for (const file of files) {
    let testCase;
    try {
      testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    } catch (err) {
      failures.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const result = runConformance(testCase.program, testCase.memory);
    if (testCase.error !== null) {
      if (result.ok) failures.push(`${file}: expected an error, got 0x${result.value.toString(16)}`);
    } else if (!result.ok) {
      failures.push(`${file}: ${result.fault!.message}`);
    } else if (result.value !== testCase.result) {
      failures.push(`${file}: r0 = 0x${result.value.toString(16)}, expected 0x${testCase.result!.toString(16)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('conformance - every program round-trips through the disassembler and assembler', () => {
  for (const file of files) {
    const { program } = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    for (const labels of [true, false]) {
      const text = disassemble(program, { labels });
      assert.deepEqual(assemble(text), program, `${file} (labels: ${labels}):\n${text}`);
    }
  }
});
