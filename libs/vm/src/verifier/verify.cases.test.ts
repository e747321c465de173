import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { VerifierError } from '../errors.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import { TEST_PLATFORMS } from './test-platforms.js';
import { verify } from './verify.js';

/*
 * The data-driven suite (PREVAIL's test-data): each file in src/verifier/cases holds small
 * assembly programs with the platform they run on and the expected verdict: accepted (with the
 * runtime checks, helpers, stack and call depth the result must report) or rejected with an
 * error code, a message pattern and the instruction index.
 */

interface Case {
  name: string;
  platform: string;
  asm: string[];
  expect: 'ok' | { code: string; index: number; message?: string };
  runtimeChecks?: number[];
  helpersUsed?: number[];
  maxStackDepth?: number;
  maxCallDepth?: number;
}

const casesDir = new URL('../../src/verifier/cases/', import.meta.url);
const files = readdirSync(casesDir).filter((f) => f.endsWith('.json')).sort();

for (const file of files) {
  const cases = JSON.parse(readFileSync(new URL(file, casesDir), 'utf8')) as Case[];
  for (const c of cases) {
    test(`verifier - ${file.replace('.json', '')}: ${c.name}`, () => {
      const platform = TEST_PLATFORMS[c.platform];
      assert.ok(platform, `unknown platform ${c.platform}`);
      const program = decodeProgram(assemble(c.asm.join('\n')));
      if (c.expect === 'ok') {
        const result = verify(program, platform);
        if (c.runtimeChecks) assert.deepEqual([...result.runtimeChecks].sort((a, b) => a - b), c.runtimeChecks, 'runtime checks');
        if (c.helpersUsed) assert.deepEqual(result.helpersUsed, c.helpersUsed, 'helpers used');
        if (c.maxStackDepth !== undefined) assert.equal(result.maxStackDepth, c.maxStackDepth, 'stack depth');
        if (c.maxCallDepth !== undefined) assert.equal(result.maxCallDepth, c.maxCallDepth, 'call depth');
        assert.equal(result.instructionCount, program.slots.length);
        return;
      }
      const expected = c.expect;
      assert.throws(() => verify(program, platform), (err: unknown) => {
        assert.ok(err instanceof VerifierError, `expected a VerifierError, got ${String(err)}`);
        assert.equal(err.code, expected.code, err.message);
        assert.equal(err.index, expected.index, err.message);
        if (expected.message) assert.match(err.message, new RegExp(expected.message));
        return true;
      });
    });
  }
}

test('verifier - every rejection code has a case', () => {
  const codes = new Set<string>();
  for (const file of files) {
    for (const c of JSON.parse(readFileSync(new URL(file, casesDir), 'utf8')) as Case[]) if (c.expect !== 'ok') codes.add(c.expect.code);
  }
  for (const code of ['UNINIT_REGISTER', 'UNINIT_STACK', 'FRAME_POINTER_WRITE', 'STACK_OUT_OF_BOUNDS', 'OUT_OF_BOUNDS', 'INVALID_DEREFERENCE',
    'READ_ONLY_WRITE', 'CONTEXT_ACCESS', 'HELPER_ARGUMENT', 'INVALID_CALLX', 'CALL_DEPTH_EXCEEDED', 'INFINITE_LOOP', 'INVALID_RETURN', 'UNKNOWN_HELPER']) {
    assert.ok(codes.has(`FS_ERR_VM_${code}`), `no case for FS_ERR_VM_${code}`);
  }
});
