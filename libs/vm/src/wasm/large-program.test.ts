import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Interpreter } from '../interpreter/interpreter.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import type { MemoryRegion } from '../memory.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS, PFP_LIKE, PFP_PACKET_BYTES } from '../verifier/test-platforms.js';
import { MAX_VERIFIED_SLOTS, verify } from '../verifier/verify.js';
import { WasmEngine } from './wasm-engine.js';
import { loadCompiler } from './compiler.js';

await loadCompiler();

/**
 * A PFP-style program of `slots` instructions: a long chain of packet byte tests (each a forward
 * branch, so thousands of basic blocks), stack spills, 64-bit constants, a local call and a
 * bounded loop at the end (a back edge).
 */
function largeProgram(slots: number): string {
  const lines = ['mov %r0, 0', 'ldxdw %r6, [%r1+0]'];
  for (let k = 0; lines.length < slots - 16; k++) {
    lines.push(`ldxb %r3, [%r6+${16 + (k % 1400)}]`);
    lines.push(`jeq %r3, ${k & 0xff}, +2`);
    lines.push(`add %r0, ${k % 97}`);
    lines.push(`stxdw [%r10-${8 + (k % 8) * 8}], %r0`);
    if (k % 5 === 0) lines.push(`lddw %r4, 0x${(k * 2654435761).toString(16).slice(-12)}`, 'xor %r0, %r4');
  }
  while (lines.length < slots - 14) lines.push('add %r0, 3');
  lines.push('mov %r7, %r0', 'call local f', 'add %r0, %r7', 'mov %r5, 10');
  lines.push('loop:', 'add %r0, %r5', 'sub %r5, 1', 'jne %r5, 0, loop');
  lines.push('exit', 'f:', 'mov %r0, %r10', 'and %r0, 0xff', 'exit');
  return lines.join('\n');
}

function regions(fill: number): MemoryRegion[] {
  const ctx = new Uint8Array(24);
  const view = new DataView(ctx.buffer);
  view.setBigUint64(0, BigInt(PACKET_ADDRESS), true);
  view.setBigUint64(8, BigInt(PACKET_ADDRESS + PFP_PACKET_BYTES), true);
  const packet = new Uint8Array(PFP_PACKET_BYTES).map((_, i) => (i * fill) & 0xff);
  return [
    { name: 'context', address: CONTEXT_ADDRESS, bytes: ctx, writable: false },
    { name: 'packet', address: PACKET_ADDRESS, bytes: packet, writable: false },
  ];
}

test('large programs - a 60,000-instruction program that verifies compiles and runs as in the interpreter', () => {
  const program = decodeProgram(assemble(largeProgram(60_000)));
  assert.ok(program.slots.length >= 60_000 && program.slots.length <= MAX_VERIFIED_SLOTS);
  const verified = verify(program, PFP_LIKE);
  const mapped = regions(7);
  const engine = new WasmEngine(program, { regions: mapped, checks: verified.runtimeChecks, budget: 1_000_000 });
  const interpreter = new Interpreter(program, { budget: 1_000_000 });
  for (const fill of [1, 7, 13]) {
    const input = regions(fill);
    const expected = interpreter.run({ regions: input, args: [CONTEXT_ADDRESS] });
    const got = engine.run({ regions: input, args: [CONTEXT_ADDRESS] });
    assert.equal(expected.fault, null);
    assert.deepEqual([got.fault, got.value, got.steps], [null, expected.value, expected.steps], `packet filled with i * ${fill}`);
  }
  // Printed, never asserted: tests do not measure wall-clock time.
  console.log(`large programs: ${program.slots.length} slots compiled in ${engine.compiled.compileMs.toFixed(0)} ms, ${engine.compiled.wasmBytes} bytes of wasm`);
});

test('large programs - the dispatch loop they compile to agrees with the Relooper on loops, calls and budgets', () => {
  const sources = [
    largeProgram(400),
    'mov %r0, 0\nmov %r1, 50\nloop:\nadd %r0, %r1\njset %r0, 1, +1\nadd %r0, 7\nsub %r1, 1\njne %r1, 0, loop\nexit',
    'mov %r0, 1\ncall local f\ncall local f\nexit\nf:\njgt %r0, 100, +2\nlsh %r0, 1\nja -3\nadd %r0, 5\nexit',
  ];
  for (const source of sources) {
    const program = decodeProgram(assemble(source));
    for (const budget of [3, 17, 250, 100_000]) {
      const input = regions(3);
      const relooped = new WasmEngine(program, { regions: input, budget }).run({ args: [CONTEXT_ADDRESS] });
      const dispatched = new WasmEngine(program, { regions: input, budget, relooperMaxBlocks: 0 }).run({ args: [CONTEXT_ADDRESS] });
      const interpreted = new Interpreter(program, { budget }).run({ regions: input, args: [CONTEXT_ADDRESS] });
      const outcome = (r: typeof interpreted) => [r.fault?.code ?? null, r.fault?.index ?? null, r.ok ? r.value : null, r.steps];
      assert.deepEqual(outcome(dispatched), outcome(interpreted), `dispatch loop, budget ${budget}:\n${source.slice(0, 200)}`);
      assert.deepEqual(outcome(relooped), outcome(interpreted), `Relooper, budget ${budget}`);
    }
  }
});
