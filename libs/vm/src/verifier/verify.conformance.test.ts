import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { conformanceSuite } from '../conformance/suite-path.js';
import { parseConformanceFile } from '../conformance/data-file.js';
import { runConformance } from '../conformance/run-case.js';
import { VmErrorCode } from '../errors.js';
import { decodeProgram } from '../isa/decode.js';
import { FIRST_REGION_ADDRESS } from '../memory.js';
import type { Platform } from '../platform/types.js';
import { verify } from './verify.js';

const SUITE = conformanceSuite() ?? '';
/** defined only where the suite is (a bare clone has none; the runner's summary says so) */
const suiteTest = SUITE ? test : () => undefined;

/** How bpf_conformance runs a program: r1 = its memory (a writable region), r2 = the length, helper 5. */
function conformancePlatform(memoryBytes: number): Platform {
  return {
    name: 'conformance',
    context: { size: 0, writable: false, fields: [] },
    helpers: new Map([[5, { id: 5, name: 'conformance_unwind', args: ['any'], returns: 'scalar' }]]),
    regions: [{ name: 'input', address: FIRST_REGION_ADDRESS, size: memoryBytes, writable: true }],
    maps: [],
    budget: 1_000_000,
  };
}

suiteTest('verifier - every bpf_conformance program verifies, and its memory faults are runtime checks', () => {
  const problems: string[] = [];
  for (const file of readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort()) {
    const testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    let runtimeChecks: ReadonlySet<number>;
    try {
      runtimeChecks = verify(decodeProgram(testCase.program), conformancePlatform(testCase.memory.length), { entryRegion: 'input' }).runtimeChecks;
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
      continue;
    }
    const result = runConformance(testCase.program, testCase.memory);
    if (result.fault?.code === VmErrorCode.MEMORY_ACCESS && !runtimeChecks.has(result.fault.index)) {
      problems.push(`${file}: faulted at ${result.fault.index}, which the verifier proved in bounds`);
    }
  }
  assert.deepEqual(problems, []);
});
