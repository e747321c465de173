import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import { buildCfg } from './cfg.js';

const cfgOf = (lines: string[]) => buildCfg(decodeProgram(assemble(lines.join('\n'))));

test('verifier cfg - blocks end at jumps, exits and local calls; lddw is one instruction', () => {
  const cfg = cfgOf(['lddw %r0, 1', 'jeq %r0, 0, out', 'call local f', 'add %r0, 1', 'out:', 'exit', 'f:', 'mov %r0, 2', 'exit']);
  assert.deepEqual([...cfg.blocks.keys()], [0, 3, 4, 5, 6]);
  assert.deepEqual(cfg.blocks.get(0), { start: 0, last: 2, successors: [3, 5], callee: null });
  assert.deepEqual(cfg.blocks.get(3), { start: 3, last: 3, successors: [4], callee: 6 });
  assert.deepEqual(cfg.blocks.get(6), { start: 6, last: 7, successors: [], callee: null });
  assert.deepEqual(cfg.functions, [0, 6]);
  assert.equal(cfg.backEdges.size, 0);
});

test('verifier cfg - back edges and loop heads, also inside a called function', () => {
  const cfg = cfgOf(['mov %r0, 0', 'loop:', 'add %r0, 1', 'jlt %r0, 9, loop', 'call local f', 'exit', 'f:', 'mov %r0, 0', 'inner:', 'ja inner']);
  assert.deepEqual([...cfg.backEdges], [[2, 1], [6, 6]]);
  assert.deepEqual([...cfg.loopHeads].sort(), [1, 6]);
});

test('verifier cfg - a forward jump over a diamond is not a loop', () => {
  const cfg = cfgOf(['mov %r0, 0', 'jeq %r0, 0, a', 'mov %r0, 1', 'ja b', 'a:', 'mov %r0, 2', 'b:', 'exit']);
  assert.equal(cfg.backEdges.size, 0);
});
