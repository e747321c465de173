import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadObject } from './load-object.js';
import { ElfError } from './elf-error.js';
import { VmLoadError } from '../errors.js';
import { validateSlots } from '../isa/decode.js';
import { compileC, EXAMPLES_DIR } from '../testing/clang.js';
import { CallKind, Op } from '../isa/opcodes.js';

const SUBPROGRAMS = `
#include <flowshield.h>
static const char greeting[] = "hello, operator";
static __attribute__((noinline)) u64 twice(u64 x) { return x * 2 + greeting[x & 7]; }
static __attribute__((noinline)) u64 add3(u64 x) { return twice(x) + 3; }
SEC("flowshield") u64 cf_ebpf_main(void *ctx) { return add3((u64)(unsigned long)ctx & 1); }
`;

test('elf - a program with local calls across .text and .rodata strings links for v1 through v3', () => {
  for (const mcpu of ['v1', 'v2', 'v3']) {
    const object = loadObject(compileC(SUBPROGRAMS, { inline: true, mcpu }));
    assert.equal(object.section, 'flowshield');
    assert.equal(object.entry, 'cf_ebpf_main');
    assert.deepEqual(object.functions.map((f) => f.name).sort(), ['add3', 'cf_ebpf_main', 'twice']);
    assert.equal(object.functions[0]!.name, 'cf_ebpf_main');
    const rodata = object.dataSections.find((d) => d.name.startsWith('.rodata'));
    assert.ok(rodata, `rodata section for ${mcpu}`);
    assert.match(new TextDecoder().decode(rodata.bytes), /hello, operator/);
    const decoded = validateSlots(object.slots);
    // Every local call lands on the first instruction of a function.
    const starts = new Set(object.functions.map((f) => f.start));
    for (const [from, to] of decoded.targets) {
      if (object.slots[from]!.opcode === Op.CALL && object.slots[from]!.src === CallKind.LOCAL) assert.ok(starts.has(to), `call at ${from} → ${to}`);
    }
    // The lddw of the string was relocated into the .rodata region.
    const lddw = object.slots.find((s) => s.opcode === Op.LDDW);
    assert.ok(lddw && lddw.imm >= rodata.address && lddw.imm < rodata.address + rodata.bytes.length);
    // Line info points back into the source.
    assert.ok(object.functions.some((f) => object.lineOf(f.start)?.line));
  }
});

test('elf - every example loads, with its section, maps and data', () => {
  const expect: Record<string, string> = {
    'magic_token.c': 'cf_ebpf_generic', 'challenge.c': 'flowshield', 'rate_limit.c': 'flowshield', 'pfp_example.c': '.text',
    'tail_check.c': 'socket', 'xdp_flood_guard.c': 'xdp',
  };
  for (const [file, section] of Object.entries(expect)) {
    const object = loadObject(compileC(join(EXAMPLES_DIR, file)));
    assert.equal(object.section, section, file);
    validateSlots(object.slots);
  }
  const xdp = loadObject(compileC(join(EXAMPLES_DIR, 'xdp_flood_guard.c')));
  assert.equal(xdp.maps.length, 1);
  assert.deepEqual({ ...xdp.maps[0], handle: 0 }, { name: 'sources', type: 9, keySize: 4, valueSize: 16, maxEntries: xdp.maps[0]!.maxEntries, flags: 0, handle: 0 });
});

test('elf - unsupported things name the section and relocation', () => {
  const external = `
#include <flowshield.h>
extern u64 not_here(u64);
SEC("flowshield") u64 cf_ebpf_main(void *ctx) { return not_here(1); }`;
  assert.throws(() => loadObject(compileC(external, { inline: true })), (err: unknown) => err instanceof ElfError && /call at flowshield\+0x\d+ to (undefined|external) function 'not_here'/.test(err.message));
  const two = `
#include <flowshield.h>
SEC("flowshield") u64 a(void *ctx) { return 0; }
SEC("xdp") u64 b(void *ctx) { return 2; }`;
  assert.throws(() => loadObject(compileC(two, { inline: true })), /several program sections \(flowshield, xdp\): choose one/);
  assert.equal(loadObject(compileC(two, { inline: true }), { section: 'xdp' }).section, 'xdp');
  assert.throws(() => loadObject(compileC(two, { inline: true }), { section: 'nope' }), /no program section 'nope' \(have: flowshield, xdp\)/);
});

test('elf - malformed files are rejected with a clear error', () => {
  const good = compileC(join(EXAMPLES_DIR, 'magic_token.c'));
  assert.throws(() => loadObject(new Uint8Array(10)), /too short for an ELF header/);
  assert.throws(() => loadObject(Uint8Array.from(good, (b, i) => (i === 0 ? 0 : b))), /not an ELF file/);
  const wrongMachine = good.slice();
  wrongMachine[18] = 62; // x86-64
  assert.throws(() => loadObject(wrongMachine), /ELF machine is 62, not BPF/);
  assert.throws(() => loadObject(good.subarray(0, good.length / 2)), (e: unknown) => e instanceof ElfError);
});

test('elf - fuzz: truncated, mutated and random objects never crash the loader', () => {
  const good = compileC(join(EXAMPLES_DIR, 'challenge.c'));
  const check = (bytes: Uint8Array) => {
    try {
      validateSlots(loadObject(bytes).slots);
    } catch (err) {
      assert.ok(err instanceof VmLoadError, `unexpected ${(err as Error)?.stack}`);
    }
  };
  fc.assert(fc.property(fc.nat(good.length), (n) => check(good.subarray(0, n))), { numRuns: 300 });
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (edits) => {
      const bytes = good.slice();
      for (const [at, value] of edits) bytes[at] = value;
      check(bytes);
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => check(bytes)), { numRuns: 500 });
});
