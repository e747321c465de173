import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { VerifierError, VmErrorCode, VmLoadError } from '../errors.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import { TEST_PLATFORMS } from './test-platforms.js';
import { MAX_VERIFIED_SLOTS, verify } from './verify.js';

/*
 * The data-driven suite (PREVAIL's test-data): each file in src/verifier/cases holds small
 * assembly programs with the platform they run on and the expected verdict: accepted (with the
 * runtime checks, helpers, stack and call depth the result must report) or rejected with an
 * error code, a message pattern and the instruction index.
 */

interface Case {
  name: string;
  platform: string;
  /** 'decode': the decoder (structural checks) must reject the program before the verifier runs */
  stage?: 'decode';
  asm: string[];
  expect: 'ok' | { code: string; index: number; message?: string };
  runtimeChecks?: number[];
  /** helper calls whose buffers are checked at run time (lengths with no proven bound) */
  bufferChecks?: number[];
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
      const bytes = assemble(c.asm.join('\n'));
      if (c.stage === 'decode') {
        const expected = c.expect as Exclude<Case['expect'], 'ok'>;
        assert.throws(() => decodeProgram(bytes), (err: unknown) => {
          assert.ok(err instanceof VmLoadError, `expected a VmLoadError, got ${String(err)}`);
          assert.equal(err.code, expected.code, err.message);
          assert.equal(err.index, expected.index, err.message);
          if (expected.message) assert.match(err.message, new RegExp(expected.message));
          return true;
        });
        return;
      }
      const program = decodeProgram(bytes);
      if (c.expect === 'ok') {
        const result = verify(program, platform);
        if (c.runtimeChecks) assert.deepEqual([...result.runtimeChecks].sort((a, b) => a - b), c.runtimeChecks, 'runtime checks');
        if (c.bufferChecks) assert.deepEqual([...result.bufferChecks.keys()].sort((a, b) => a - b), c.bufferChecks, 'buffer checks');
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

test('verifier - programs over the size limit', () => {
  const program = decodeProgram(assemble(['mov %r0, 0', 'mov %r0, 1', 'mov %r0, 2', 'exit'].join('\n')));
  assert.throws(() => verify(program, TEST_PLATFORMS['pfp']!, { maxSlots: 3 }), (err: unknown) =>
    err instanceof VmLoadError && err.code === VmErrorCode.PROGRAM_TOO_LARGE && /4 instructions, the verifier's limit is 3/.test(err.message));
  const big = decodeProgram(assemble([...Array.from({ length: MAX_VERIFIED_SLOTS }, () => 'mov %r0, 0'), 'exit'].join('\n')));
  assert.throws(() => verify(big, TEST_PLATFORMS['pfp']!), (err: unknown) => err instanceof VmLoadError && err.code === VmErrorCode.PROGRAM_TOO_LARGE);
});

test('verifier - a walk beyond its instruction limit is "program too complex"', () => {
  // Sixteen independent branches: 2^16 paths would be explored without joins; with joins the
  // walk is linear, so the limit only trips when it is set below the program's size.
  const lines = ['ldxdw %r2, [%r1+16]', 'mov %r0, 0'];
  for (let i = 0; i < 16; i++) lines.push(`jset %r2, ${1 << i}, +1`, `add %r0, ${i}`);
  lines.push('exit');
  const program = decodeProgram(assemble(lines.join('\n')));
  assert.ok(verify(program, TEST_PLATFORMS['pfp']!).instructionCount > 0);
  assert.throws(() => verify(program, TEST_PLATFORMS['pfp']!, { maxAnalysedInstructions: 20 }), (err: unknown) =>
    err instanceof VerifierError && err.code === VmErrorCode.TOO_COMPLEX && /program too complex/.test(err.message));
});

test('verifier - a VerifierError prints the source line and column when the platform knows them', () => {
  const program = decodeProgram(assemble('mov %r0, %r5\nexit'));
  const err = (() => { try { verify(program, TEST_PLATFORMS['pfp-lines']!); } catch (e) { return e; } return null; })();
  assert.ok(err instanceof VerifierError);
  assert.equal(err.message, 'instruction 0 (prog.c:100): r5 is read before it is initialised');
  assert.equal(err.reason, 'r5 is read before it is initialised');
  const second = (() => { try { verify(decodeProgram(assemble('mov %r0, 0\nmov %r0, %r5\nexit')), TEST_PLATFORMS['pfp-lines']!); } catch (e) { return e; } return null; })();
  assert.ok(second instanceof VerifierError);
  assert.equal(second.message, 'instruction 1 (prog.c:101:6): r5 is read before it is initialised', 'the column, where BTF has one');
  assert.deepEqual(err.source, { file: '/src/app/prog.c', line: 100 });
  assert.equal(err.name, 'VerifierError');
});
