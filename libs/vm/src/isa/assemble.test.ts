import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from './assemble.js';
import { disassemble } from './disassemble.js';
import { AssemblyError } from '../errors.js';

test('assemble - syntax of the conformance suite', () => {
  const text = [
    'mov %r1, 0x10 # comment',
    'start: lddw %r2, 0xFFFFFFFF80000000',
    'ldxw %r3, [%r1+4]',
    'stxdw [%r10-8], %r3',
    'lock fetch add32 [%r10-4], %r1',
    'call local f',
    'jne32 %r3, -1, start',
    'exit',
    'f:',
    'be16 %r0',
    'call %r2',
    'exit',
  ].join('\n');
  const program = assemble(text);
  assert.equal(program.length, 12 * 8);
  assert.equal(
    disassemble(program),
    ['mov %r1, 16', 'L1:', 'lddw %r2, 0xffffffff80000000', 'ldxw %r3, [%r1+4]', 'stxdw [%r10-8], %r3', 'lock fetch add32 [%r10-4], %r1', 'call local L9', 'jne32 %r3, -1, L1', 'exit', 'L9:', 'be16 %r0', 'call %r2', 'exit', ''].join('\n'),
  );
});

test('assemble - errors name the line', () => {
  assert.throws(() => assemble('mov %r1, 1\nfrob %r1\nexit'), (e: unknown) => e instanceof AssemblyError && e.line === 2 && /unknown instruction 'frob'/.test(e.message));
  assert.throws(() => assemble('ja nowhere\nexit'), /line 1: undefined label 'nowhere'/);
  assert.throws(() => assemble('mov %r1, 0x100000000\nexit'), /does not fit in 32 bits/);
  assert.throws(() => assemble('ldxw %r1, [%r2+40000]\nexit'), /memory offset 40000 is outside/);
  assert.throws(() => assemble('a:\na:\nexit'), /label a defined twice/);
});
