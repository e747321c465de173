import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VerifierError, VmErrorCode } from '../errors.js';
import { HelperTable, type HelperContext } from '../helpers.js';
import { Interpreter, type TraceStep } from '../interpreter/interpreter.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram, validateSlots, type DecodedProgram } from '../isa/decode.js';
import type { RawInstruction } from '../isa/instruction.js';
import { INSTRUCTION_TABLE } from '../isa/instruction-table.js';
import { STACK_ADDRESS, STACK_FRAME_BYTES, STACK_TOP, type MemoryRegion } from '../memory.js';
import type { Platform } from '../platform/types.js';
import {
  CONTEXT_ADDRESS, DATA_ADDRESS, MAP_VALUES_ADDRESS, PACKET_ADDRESS, PFP_LIKE, PFP_PACKET_BYTES, RODATA_ADDRESS, XDP_LIKE,
} from './test-platforms.js';
import { verify } from './verify.js';

/*
 * Random programs built from the moves real programs make (pointer copies and arithmetic, loads
 * and stores at random offsets, helper calls with stack buffers, map lookups, forward and
 * backward jumps) must either verify or fail with a VerifierError. A verified program run in the
 * interpreter may fault on memory only at instructions the verifier marked for a runtime check.
 */

type Item = readonly string[];
const REGS = [0, 1, 2, 3, 4, 5, 9];
const reg = fc.constantFrom(...REGS).map((r) => `%r${r}`);
const pointerBase = fc.constantFrom('%r1', '%r2', '%r3', '%r7', '%r10');
const small = fc.oneof(fc.integer({ min: -16, max: 64 }), fc.constantFrom(0, 1, 8, 14, 255, 1500, 1516, -512, -2048, 0x7fffffff, -1));
const offset = fc.oneof(fc.integer({ min: -520, max: 8 }), fc.integer({ min: 0, max: 1600 }), fc.integer({ min: -8, max: 24 }));
const width = fc.constantFrom('b', 'h', 'w', 'dw');
const aluOp = fc.constantFrom('add', 'sub', 'mul', 'div', 'mod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov');
const jmpOp = fc.constantFrom('jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset');
const suffix = fc.constantFrom('', '32');
const ahead = fc.integer({ min: 1, max: 6 });

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(aluOp, suffix, reg, fc.oneof(reg, small.map(String))).map(([op, s, d, src]) => [`${op}${s} ${d}, ${src}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3', '%r4', '%r5'), fc.constantFrom('%r6', '%r7', '%r8', '%r10')).map(([d, s]) => [`mov ${d}, ${s}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3'), fc.oneof(small.map(String), reg)).map(([d, s]) => [`add ${d}, ${s}`]),
  fc.tuple(width, reg, pointerBase, offset).map(([w, d, b, o]) => [`ldx${w} ${d}, [${b}${o >= 0 ? '+' : ''}${o}]`]),
  fc.tuple(width, pointerBase, offset, fc.oneof(reg, small.map(String))).map(([w, b, o, v]) =>
    [v.startsWith('%') ? `stx${w} [${b}${o >= 0 ? '+' : ''}${o}], ${v}` : `st${w} [${b}${o >= 0 ? '+' : ''}${o}], ${v}`]),
  fc.tuple(jmpOp, suffix, reg, fc.oneof(reg, small.map(String)), ahead).map(([op, s, d, src, n]) => [`${op}${s} ${d}, ${src}, @${n}`]),
  fc.tuple(fc.constantFrom('jgt', 'jge', 'jlt', 'jle'), fc.constantFrom('%r2', '%r3'), ahead).map(([op, p, n]) => [`${op} ${p}, %r8, @${n}`]),
  fc.tuple(fc.constantFrom('jgt', 'jge', 'jlt', 'jle', 'jeq', 'jsgt', 'jsle'), fc.constantFrom('%r1', '%r2', '%r3'), fc.constantFrom('%r1', '%r2', '%r3', '%r7'), ahead)
    .map(([op, a, b, n]) => [`${op} ${a}, ${b}, @${n}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3'), width, fc.integer({ min: 0, max: 1600 })).map(([p, w, o]) => [`ldx${w} %r4, [%r7+16]`, `add ${p}, %r4`, `add ${p}, ${o}`]),
  fc.tuple(jmpOp, reg, small, fc.integer({ min: 1, max: 4 })).map(([op, d, k, n]) => [`${op} ${d}, ${k}, @-${n}`]),
  fc.constant(['call 1']),
  fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 64 })).map(([src, dst]) =>
    ['stdw [%r10-64], 0', 'stdw [%r10-8], 0', 'mov %r1, %r10', `add %r1, -${src}`, `mov %r2, ${src}`, 'mov %r3, %r10', 'add %r3, -64', `mov %r4, ${dst}`, 'call 2']),
  fc.tuple(fc.constantFrom('%r7', '%r2'), small).map(([p, n]) => ['mov %r1, ' + p, `mov %r2, ${n}`, 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 16', 'call 2']),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.boolean()).map(([k, check]) => [
    `stw [%r10-4], ${k}`, 'lddw %r1, 1', 'mov %r2, %r10', 'add %r2, -4', 'call 5', ...(check ? ['jeq %r0, 0, @2', 'ldxdw %r0, [%r0+8]'] : ['ldxdw %r4, [%r0+8]']),
  ]),
  fc.constantFrom(['lddw %r3, 0x21000'], ['lddw %r3, 0x20000'], ['lddw %r2, 0x20010']),
  fc.tuple(fc.constantFrom('%r10', '%r7', '%r3'), fc.integer({ min: -600, max: 8 })).map(([base, n]) => [`mov %r1, ${base}`, `add %r1, ${n}`, 'call local F']),
);

/** A local function every program carries: its own frame, a store through r1, r0 from its stack. */
const FUNCTION = ['F:', 'stdw [%r10-8], 1', 'stb [%r1+0], 7', 'ldxdw %r0, [%r10-8]', 'exit'];

const REFILL = ['mov %r1, %r7', 'mov %r2, %r10', 'add %r2, -16', 'mov %r3, 8', 'mov %r4, 0', 'mov %r5, 1'];

function render(items: Item[], xdp: boolean): string {
  const lines = [
    'mov %r6, %r1',
    ...(xdp ? ['ldxw %r7, [%r6+0]', 'ldxw %r8, [%r6+4]'] : ['ldxdw %r7, [%r6+0]', 'ldxdw %r8, [%r6+8]']),
    'mov %r0, 0',
    'mov %r9, 3',
    ...REFILL,
    'stdw [%r10-8], 0',
    'stdw [%r10-16], 0',
    'stdw [%r10-24], 0',
    'stdw [%r10-32], 0',
  ];
  items.forEach((it, i) => {
    lines.push(`I${i}:`);
    for (const line of it) {
      lines.push(line.replace(/@(-?\d+)$/, (_, n: string) => `I${Math.max(0, Math.min(items.length, i + Number(n)))}`));
    }
    // Most programs set their argument registers again after a call; some must not (r1–r5 are clobbered).
    if (it[it.length - 1]!.startsWith('call') && i % 3 !== 0) lines.push(...REFILL);
    if (it[it.length - 1] === 'call local F' && i % 3 !== 0) lines.push('mov %r0, 0');
  });
  lines.push(`I${items.length}:`, 'mov %r0, 0', 'exit', ...FUNCTION);
  return lines.join('\n');
}

/**
 * The interpreter maps all eight frames as one stack, so a proof that strays into a deeper frame
 * would not fault there: check from the trace that every proven stack access lies in a live frame
 * (between the current r10 - STACK_FRAME_BYTES and the top of the stack).
 */
function assertStackProofs(program: DecodedProgram, trace: readonly TraceStep[], runtimeChecks: ReadonlySet<number>, source: string): void {
  for (const step of trace) {
    if (runtimeChecks.has(step.index)) continue;
    const info = program.infos[step.index]!;
    const inst = program.slots[step.index]!;
    const base = info.kind === 'ldx' ? inst.src : info.kind === 'st' || info.kind === 'stx' || info.kind === 'atomic' ? inst.dst : null;
    if (base === null) continue;
    const address = BigInt.asIntN(64, step.registers[base]! + BigInt(inst.offset));
    if (address < BigInt(STACK_ADDRESS) || address >= BigInt(STACK_TOP)) continue;
    const frameBottom = step.registers[10]! - BigInt(STACK_FRAME_BYTES);
    assert.ok(address >= frameBottom && address + BigInt(info.width) <= BigInt(STACK_TOP),
      `instruction ${step.index} (${step.text}) reaches 0x${address.toString(16)}, outside the live frames (r10 = 0x${step.registers[10]!.toString(16)}) in\n${source}`);
  }
}

function helpers(): HelperTable {
  const n = (ctx: HelperContext, i: number) => ctx.argNumber(i);
  return new HelperTable([
    { id: 1, name: 'rand', fn: () => Math.floor(Math.random() * 2 ** 32) },
    { id: 2, name: 'hash', fn: (ctx) => { ctx.read(n(ctx, 1), n(ctx, 2)); ctx.write(n(ctx, 3), n(ctx, 4)).fill(7); return 0; } },
    { id: 3, name: 'set_status', fn: () => 0 },
    { id: 4, name: 'get_status', fn: (ctx) => { if (ctx.argU64(1) !== 0n) ctx.write(n(ctx, 1), n(ctx, 2)); return 0; } },
    { id: 5, name: 'map_lookup', fn: (ctx) => { const key = ctx.read(n(ctx, 2), 4)[0]!; return key % 2 === 0 ? MAP_VALUES_ADDRESS + 16 * (key % 4) : 0; } },
    { id: 6, name: 'map_update', fn: (ctx) => { ctx.read(n(ctx, 2), 4); ctx.read(n(ctx, 3), 16); return 0; } },
    { id: 7, name: 'ctx_len', fn: () => 0 },
    { id: 8, name: 'printf', fn: (ctx) => { ctx.read(n(ctx, 1), n(ctx, 2)); return 0; } },
  ]);
}

function memory(platform: Platform, packetBytes: number, fill: number): MemoryRegion[] {
  const xdp = platform === XDP_LIKE;
  const packet = new Uint8Array(xdp ? packetBytes : PFP_PACKET_BYTES).fill(fill);
  const context = new Uint8Array(24);
  const view = new DataView(context.buffer);
  if (xdp) {
    view.setUint32(0, PACKET_ADDRESS, true);
    view.setUint32(4, PACKET_ADDRESS + packetBytes, true);
  } else {
    view.setBigUint64(0, BigInt(PACKET_ADDRESS), true);
    // PFP's data_end is data + the whole buffer, whatever the packet's length (as the engines fill it).
    view.setBigUint64(8, BigInt(PACKET_ADDRESS + PFP_PACKET_BYTES), true);
  }
  return [
    { name: 'context', address: CONTEXT_ADDRESS, bytes: context, writable: platform.context.writable },
    // An XDP packet is not a listed region, so the verifier takes it as writable, as Linux does.
    { name: 'packet', address: PACKET_ADDRESS, bytes: packet, writable: xdp },
    { name: '.rodata', address: RODATA_ADDRESS, bytes: new Uint8Array(32).fill(3), writable: false },
    { name: '.data', address: DATA_ADDRESS, bytes: new Uint8Array(16), writable: true },
    { name: 'map values', address: MAP_VALUES_ADDRESS, bytes: new Uint8Array(64), writable: true },
  ];
}

test('verifier - random programs verify or fail with a VerifierError; verified ones fault only at runtime checks', () => {
  let verified = 0;
  let rejected = 0;
  const reasons = new Map<string, number>();
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 24 }), fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }), (items, xdp, packets) => {
      const platform = xdp ? XDP_LIKE : PFP_LIKE;
      const source = render(items, xdp);
      const program = decodeProgram(assemble(source));
      let runtimeChecks: ReadonlySet<number>;
      try {
        runtimeChecks = verify(program, platform).runtimeChecks;
      } catch (err) {
        if (!(err instanceof VerifierError)) throw new Error(`verify threw ${String(err)} for\n${source}`);
        rejected++;
        if (process.env.FUZZ_RUNS) reasons.set(err.code, (reasons.get(err.code) ?? 0) + 1);
        return;
      }
      verified++;
      const interpreter = new Interpreter(program, { helpers: helpers(), budget: 5_000 });
      for (const [bytes, fill] of packets) {
        const trace: TraceStep[] = [];
        const result = interpreter.run({ regions: memory(platform, bytes, fill), args: [CONTEXT_ADDRESS], trace });
        assertStackProofs(program, trace, runtimeChecks, source);
        const fault = result.fault;
        if (!fault || fault.code === VmErrorCode.BUDGET_EXHAUSTED) continue;
        const checked = fault.code === VmErrorCode.MEMORY_ACCESS || fault.code === VmErrorCode.HELPER_FAULT;
        assert.ok(checked && runtimeChecks.has(fault.index), `${fault.message} (packet of ${bytes} bytes; runtime checks ${[...runtimeChecks]}) in\n${source}`);
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 1500) },
  );
  if (process.env.FUZZ_RUNS) console.log({ verified, rejected, reasons });
  // The generator must exercise both outcomes, or the property says little.
  assert.ok(verified > 100, `only ${verified} programs verified`);
  assert.ok(rejected > 100, `only ${rejected} programs were rejected`);
});

const OPCODES = [...INSTRUCTION_TABLE.keys()];
const ins = (opcode: number, dst: number, src: number, offset: number, imm: number): RawInstruction => ({ opcode, dst, src, offset, imm });
/** Every register initialised (r2 a stack pointer, r6 the context) and 64 stack bytes written. */
const PROLOGUE: RawInstruction[] = [
  ins(0xbf, 6, 1, 0, 0), ins(0xb7, 0, 0, 0, 0), ins(0xbf, 2, 10, 0, 0), ins(0x07, 2, 0, 0, -32), ins(0xb7, 3, 0, 0, 8),
  ins(0xb7, 4, 0, 0, 0), ins(0xb7, 5, 0, 0, 1), ins(0xb7, 8, 0, 0, 3), ins(0xb7, 9, 0, 0, 4),
  ...Array.from({ length: 8 }, (_, k) => ins(0x7a, 10, 0, -8 * (k + 1), 0)),
];
const rawInstruction: fc.Arbitrary<RawInstruction> = fc.record({
  opcode: fc.constantFrom(...OPCODES),
  dst: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constant(10)),
  src: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(0), fc.constant(1)),
  offset: fc.oneof(fc.integer({ min: -4, max: 6 }), fc.constantFrom(0, 1, 8, 16, 32, -8, -512, -2048, -2056)),
  imm: fc.oneof(fc.integer({ min: -4, max: 70 }), fc.constantFrom(0, 1, 5, 16, 32, 64, 0xe1, 0xf1, 0x21000, -1, 0x7fffffff)),
});

/** The instruction with the fewest fields zeroed that the table accepts (random fields rarely are). */
function withValidFields(i: RawInstruction): RawInstruction {
  const check = INSTRUCTION_TABLE.get(i.opcode)!.check;
  const tries: Partial<RawInstruction>[] = [{}, { src: 0 }, { imm: 0 }, { offset: 0 }, { src: 0, imm: 0 }, { src: 0, offset: 0 }, { imm: 0, offset: 0 }, { src: 0, imm: 0, offset: 0 }];
  for (const t of tries) {
    const candidate = { ...i, ...t };
    if (!check(candidate)) return candidate;
  }
  return i;
}

/** Jumps and local calls that would leave the program go to the next instruction instead. */
function keepTargetsInside(slots: RawInstruction[]): void {
  slots.forEach((inst, at) => {
    const kind = INSTRUCTION_TABLE.get(inst.opcode)?.kind;
    const local = kind === 'call' && inst.src === 1;
    const delta = kind === 'ja32' || local ? inst.imm : kind === 'ja' || kind === 'jcond' ? inst.offset : null;
    if (delta === null) return;
    const target = at + 1 + delta;
    if (target >= 0 && target < slots.length && INSTRUCTION_TABLE.has(slots[target]!.opcode)) return;
    if (kind === 'ja32' || local) slots[at] = { ...inst, imm: 0 };
    else slots[at] = { ...inst, offset: 0 };
  });
}

test('verifier - instructions of every opcode with random fields verify or fail with a VerifierError, and fault only at runtime checks', () => {
  let verified = 0;
  fc.assert(
    fc.property(fc.array(rawInstruction, { minLength: 1, maxLength: 16 }), fc.boolean(), (body, xdp) => {
      const slots: RawInstruction[] = [
        ...PROLOGUE,
        { opcode: xdp ? 0x61 : 0x79, dst: 7, src: 1, offset: 0, imm: 0 }, // r7 = ctx->data
        ...body.map(withValidFields).flatMap((i) => (INSTRUCTION_TABLE.get(i.opcode)!.kind === 'lddw' ? [i, { opcode: 0, dst: 0, src: 0, offset: 0, imm: 0 }] : [i])),
        { opcode: 0x95, dst: 0, src: 0, offset: 0, imm: 0 }, // exit
      ];
      keepTargetsInside(slots);
      let program;
      try {
        program = validateSlots(slots);
      } catch {
        return; // structurally invalid: the decoder's business
      }
      const platform = xdp ? XDP_LIKE : PFP_LIKE;
      let runtimeChecks: ReadonlySet<number>;
      try {
        runtimeChecks = verify(program, platform).runtimeChecks;
      } catch (err) {
        if (!(err instanceof VerifierError)) throw err;
        return;
      }
      verified++;
      const result = new Interpreter(program, { helpers: helpers(), budget: 2_000 }).run({ regions: memory(platform, 40, 1), args: [CONTEXT_ADDRESS] });
      const fault = result.fault;
      if (!fault || fault.code === VmErrorCode.BUDGET_EXHAUSTED) return;
      assert.ok(runtimeChecks.has(fault.index), `${fault.message}; runtime checks ${[...runtimeChecks]}`);
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
  );
  if (process.env.FUZZ_RUNS) console.log({ verified });
  assert.ok(verified > 50, `only ${verified} programs verified`);
});
