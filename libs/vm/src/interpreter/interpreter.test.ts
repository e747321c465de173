import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../isa/assemble.js';
import { Interpreter, type TraceStep } from './interpreter.js';
import { HelperTable } from '../helpers.js';
import { layoutRegions, STACK_TOP } from '../memory.js';
import { VmErrorCode } from '../errors.js';

const vm = (source: string, helpers?: HelperTable, budget?: number) => new Interpreter(assemble(source), { helpers, budget });

test('interpreter - an access outside every region ends the run with index, address and size', () => {
  const result = vm('mov %r0, 1\nldxw %r0, [%r1+2]\nexit').run({ args: [0x30] });
  assert.equal(result.ok, false);
  assert.equal(result.fault!.code, VmErrorCode.MEMORY_ACCESS);
  assert.equal(result.fault!.index, 1);
  assert.equal(result.fault!.address, 0x32n);
  assert.equal(result.fault!.size, 4);
  assert.match(result.fault!.message, /^instruction 1: read of 4 bytes at 0x32 is outside every mapped region$/);
  // An access straddling the end of a region faults too, and so does a 64-bit address.
  const [input] = layoutRegions([{ name: 'input', bytes: new Uint8Array(8) }]);
  assert.equal(vm('ldxdw %r0, [%r1+1]\nexit').run({ regions: [input!], args: [input!.address] }).fault?.code, VmErrorCode.MEMORY_ACCESS);
  assert.equal(vm('lddw %r1, 0x100001000\nldxb %r0, [%r1]\nexit').run().fault?.address, 0x100001000n);
  assert.equal(vm('stb [%r10], 1\nexit').run().fault?.code, VmErrorCode.MEMORY_ACCESS);
});

test('interpreter - a read-only region cannot be written', () => {
  const [ro] = layoutRegions([{ name: 'ctx', bytes: new Uint8Array(16), writable: false }]);
  const run = (src: string) => vm(src).run({ regions: [ro!], args: [ro!.address] });
  assert.equal(run('ldxdw %r0, [%r1+8]\nexit').ok, true);
  const write = run('stdw [%r1+8], 1\nexit');
  assert.match(write.fault!.message, /write of 8 bytes to read-only ctx/);
});

test('interpreter - the instruction budget ends a runaway program', () => {
  const result = vm('mov %r0, 0\nloop: add %r0, 1\nja loop\nexit', undefined, 1000).run();
  assert.equal(result.fault!.code, VmErrorCode.BUDGET_EXHAUSTED);
  assert.equal(result.steps, 1000);
  assert.equal(result.value, 500n); // mov, then 499 add+ja pairs and one more add
  assert.equal(vm('mov %r0, 3\nexit').run().steps, 2);
});

test('interpreter - local calls get their own 2048-byte frames and a depth limit of 8', () => {
  const frames = vm(['stdw [%r10-8], 1', 'call local f', 'ldxdw %r0, [%r10-8]', 'exit', 'f:', 'stdw [%r10-8], 2', 'mov %r0, %r10', 'exit'].join('\n'));
  assert.equal(frames.run().value, 1n);
  const depth = (n: number) => vm(['mov %r0, 0', 'call local f', 'exit', 'f:', 'add %r0, 1', `jge %r0, ${n}, done`, 'call local f', 'done:', 'exit'].join('\n')).run();
  assert.equal(depth(7).value, 7n);
  const tooDeep = depth(8);
  assert.equal(tooDeep.fault?.code, VmErrorCode.CALL_DEPTH);
  assert.equal(vm('mov %r0, %r10\nexit').run().value, BigInt(STACK_TOP));
});

test('interpreter - helpers read and write program memory and return r0', () => {
  const helpers = new HelperTable([
    { id: 1, name: 'sum', fn: (ctx) => ctx.read(ctx.argNumber(1), ctx.argNumber(2)).reduce((a, b) => a + b, 0) },
    { id: 2, name: 'fill', fn: (ctx) => { ctx.write(ctx.argNumber(1), 4).fill(7); return -1; } },
    { id: 3, name: 'refuse', fn: (ctx) => ctx.fault('no') },
  ]);
  const program = vm(['mov %r1, %r10', 'add %r1, -4', 'call 2', 'mov %r6, %r0', 'mov %r1, %r10', 'add %r1, -4', 'mov %r2, 4', 'call 1', 'add %r0, %r6', 'exit'].join('\n'), helpers);
  assert.equal(program.run().value, 27n); // 4 * 7 + (-1)
  assert.equal(vm('mov %r1, 0\nmov %r2, 4\ncall 1\nexit', helpers).run().fault?.code, VmErrorCode.MEMORY_ACCESS);
  const refused = vm('call 3\nexit', helpers).run();
  assert.equal(refused.fault?.code, VmErrorCode.HELPER_FAULT);
  assert.match(refused.fault!.message, /^instruction 0: no$/);
  assert.equal(vm('mov %r1, 99\ncall %r1\nexit', helpers).run().fault?.code, VmErrorCode.UNKNOWN_HELPER_AT_RUN);
});

test('interpreter - legacy packet loads read network byte order from the packet region', () => {
  const [packet] = layoutRegions([{ name: 'packet', bytes: Uint8Array.of(0x45, 0, 0x01, 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee) }]);
  const run = (src: string) => vm(src).run({ regions: [packet!] });
  assert.equal(run('ldabsh 2\nexit').value, 0x0102n);
  assert.equal(run('ldabsw 4\nexit').value, 0xaabbccddn);
  assert.equal(run('mov %r1, 1\nldindb %r1, 7\nexit').value, 0xeen);
  assert.equal(run('ldabsdw 1\nexit').value, 0x000102aabbccddeen);
  assert.equal(run('ldabsw 6\nexit').fault?.code, VmErrorCode.MEMORY_ACCESS);
});

test('interpreter - trace mode records each executed instruction with the registers before it', () => {
  const trace: TraceStep[] = [];
  vm('mov %r0, 5\nadd %r0, 2\nexit').run({ trace });
  assert.deepEqual(trace.map((s) => [s.index, s.text, s.registers[0]]), [[0, 'mov %r0, 5', 0n], [1, 'add %r0, 2', 5n], [2, 'exit', 7n]]);
});

test('interpreter - a run leaves nothing behind for the next run', () => {
  const program = vm('ldxdw %r0, [%r10-8]\nstdw [%r10-8], 9\nexit');
  assert.equal(program.run().value, 0n);
  assert.equal(program.run().value, 0n);
});
