import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VmErrorCode } from '../errors.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import { layoutRegions } from '../memory.js';
import { ProgramInstance } from '../program/instance.js';
import { loadProgram } from '../program/load-program.js';
import { compileC } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import { WasmEngine } from './wasm-engine.js';
import { loadCompiler } from './compiler.js';

await loadCompiler();

/*
 * Tenants never share memory: each ProgramInstance (and each WasmEngine) has its own wasm
 * instance and linear memory, so even accesses the bounds checks let through — or that a
 * verifier bug would let through unchecked — can only reach the tenant's own bytes.
 */

test('wasm isolation - two tenants of one program keep their own data sections', () => {
  const source = `
    #include <flowshield.h>
    static u64 seen = 0;
    SEC("flowshield")
    u64 cf_ebpf_main(struct fs_ctx *ctx) {
      (void)ctx;
      seen += 1;
      fs_counter_add(1, seen);
      return FS_PASS;
    }`;
  const program = loadProgram(compileC(source, { inline: true }));
  const hostA = new FakeClockHost();
  const hostB = new FakeClockHost();
  const a = new ProgramInstance(program, hostA);
  const b = new ProgramInstance(program, hostB);
  const p = udp4({ dstPort: 207, payload: [1, 2, 3] });
  for (let i = 0; i < 5; i++) a.run(p.ip, p.meta, 0);
  for (let i = 0; i < 2; i++) b.run(p.ip, p.meta, 0);
  a.runBatch([p, p, p], 0);
  // A counted 1..8, B 1..2: neither saw the other's increments.
  assert.equal(hostA.counters.get(1), 36n);
  assert.equal(hostB.counters.get(1), 3n);
});

const PROBE_LOAD = decodeProgram(assemble('ldxb %r0, [%r1+0]\nexit'));
const PROBE_STORE = decodeProgram(assemble('stb [%r1+0], 0xcc\nmov %r0, 0\nexit'));

function tenant(fill: number, checks: 'all' | ReadonlySet<number>, program = PROBE_LOAD) {
  const regions = layoutRegions([
    { name: 'data', bytes: new Uint8Array(4096).fill(fill), writable: true },
    { name: 'rodata', bytes: new Uint8Array(64).fill(fill), writable: false },
  ]);
  return { regions, engine: new WasmEngine(program, { regions, checks }) };
}

/** Every address below the end of the memory and past it, and the extremes of 64 bits. */
function* everyAddress(memoryBytes: number): Generator<bigint> {
  for (let a = 0; a < memoryBytes + 70_000; a++) yield BigInt(a);
  for (const a of [2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 0x3000n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n - 0x1000n]) yield a;
}

for (const [mode, checks] of [['bounds-checked', 'all'], ['unchecked, as if a verifier bug had proven every access', new Set<number>()]] as const) {
  test(`wasm isolation - a program that loads from every address it can form sees only its own memory or faults (${mode})`, () => {
    const a = tenant(0xaa, checks);
    const b = tenant(0xbb, checks);
    const memoryBytes = a.engine.compiled.pages * 65536;
    const own = new Set<number>([0, 0xaa]);
    let seen = 0;
    let faults = 0;
    for (const address of everyAddress(memoryBytes)) {
      const result = a.engine.run({ args: [address] });
      if (result.fault) {
        assert.equal(result.fault.code, VmErrorCode.MEMORY_ACCESS);
        faults++;
        continue;
      }
      const byte = Number(result.value);
      assert.notEqual(byte, 0xbb, `tenant A read tenant B's byte at 0x${address.toString(16)}`);
      if (checks === 'all') assert.ok(own.has(byte), `0x${address.toString(16)} gave ${byte}`);
      seen++;
    }
    assert.ok(seen > 4096 && faults > 0, `${seen} loads, ${faults} faults`);
    // B is untouched and still reads its own bytes.
    assert.equal(b.engine.run({ args: [BigInt(b.regions[0]!.address)] }).value, 0xbbn);
  });

  test(`wasm isolation - a program that stores to every address it can form changes only its own memory (${mode})`, () => {
    const a = tenant(0xaa, checks, PROBE_STORE);
    const b = tenant(0xbb, checks, PROBE_STORE);
    const memoryBytes = a.engine.compiled.pages * 65536;
    // One run of B (a store to its own stack) lays its regions out in its memory.
    assert.equal(b.engine.run({ args: [0x1ff0] }).fault, null);
    let stored = 0;
    for (const address of everyAddress(memoryBytes)) {
      // The probe may wreck its own engine's control area when unchecked: a fault, never B's bytes.
      const result = a.engine.run({ args: [address] });
      if (!result.fault) stored++;
    }
    assert.ok(stored > 0);
    assert.ok(b.engine.instance.bytes.subarray(b.regions[0]!.address, b.regions[0]!.address + 4096).every((x) => x === 0xbb));
    assert.ok(b.engine.instance.bytes.subarray(b.regions[1]!.address, b.regions[1]!.address + 64).every((x) => x === 0xbb));
    if (checks === 'all') {
      // Checked stores land only in A's writable region (and its stack).
      const rodata = a.regions[1]!;
      assert.ok(a.engine.instance.bytes.subarray(rodata.address, rodata.address + 64).every((x) => x === 0xaa), 'read-only region written');
    }
  });
}
