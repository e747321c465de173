import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { VerifierError } from '../errors.js';
import { HelperTable, type BufferChecks, type HelperContext } from '../helpers.js';
import { Interpreter, type RunResult } from '../interpreter/interpreter.js';
import { assemble } from '../isa/assemble.js';
import { decodeProgram } from '../isa/decode.js';
import type { MemoryRegion } from '../memory.js';
import type { Platform } from '../platform/types.js';
import {
  CONTEXT_ADDRESS, DATA_ADDRESS, MAP_VALUES_ADDRESS, PACKET_ADDRESS, PFP_LIKE, PFP_PACKET_BYTES, RODATA_ADDRESS, XDP_LIKE,
} from '../verifier/test-platforms.js';
import { verify } from '../verifier/verify.js';
import { WasmEngine } from './wasm-engine.js';

/*
 * Differential test of the two engines on random programs that pass the verifier: the same
 * program over the same inputs must give the same r0, the same fault (code, instruction,
 * address, size), the same steps, the same bytes in every region afterwards, and the same helper
 * calls with the same arguments. The wasm engine checks only what the verifier could not prove,
 * so this also tests that what it proved holds. FS_DIFF_RUNS=N runs N programs instead.
 */

type Item = readonly string[];
const REGS = [0, 1, 2, 3, 4, 5, 9];
const reg = fc.constantFrom(...REGS).map((r) => `%r${r}`);
const pointerBase = fc.constantFrom('%r1', '%r2', '%r3', '%r7', '%r10');
const small = fc.oneof(fc.integer({ min: -16, max: 64 }), fc.constantFrom(0, 1, 8, 14, 255, 1500, 1516, -512, -2048, 0x7fffffff, -1, -0x80000000));
const offset = fc.oneof(fc.integer({ min: -520, max: 8 }), fc.integer({ min: 0, max: 1600 }), fc.integer({ min: -8, max: 24 }));
const width = fc.constantFrom('b', 'h', 'w', 'dw');
const aluOp = fc.constantFrom('add', 'sub', 'mul', 'div', 'mod', 'sdiv', 'smod', 'or', 'and', 'lsh', 'rsh', 'arsh', 'xor', 'mov');
const jmpOp = fc.constantFrom('jeq', 'jne', 'jgt', 'jge', 'jlt', 'jle', 'jsgt', 'jsge', 'jslt', 'jsle', 'jset');
const suffix = fc.constantFrom('', '32');
const ahead = fc.integer({ min: 1, max: 6 });
const wide = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => `0x${v.toString(16)}`);

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.tuple(aluOp, suffix, reg, fc.oneof(reg, small.map(String))).map(([op, s, d, src]) => [`${op}${s} ${d}, ${src}`]),
  fc.tuple(fc.constantFrom('neg', 'neg32', 'le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64'), reg).map(([op, d]) => [`${op} ${d}`]),
  fc.tuple(reg, wide).map(([d, v]) => [`lddw ${d}, ${v}`]),
  fc.tuple(fc.constantFrom('movsx864', 'movsx1664', 'movsx3264', 'movsx832', 'movsx1632'), reg, reg).map(([op, d, s]) => [`${op} ${d}, ${s}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3', '%r4', '%r5'), fc.constantFrom('%r6', '%r7', '%r8', '%r10')).map(([d, s]) => [`mov ${d}, ${s}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3'), fc.oneof(small.map(String), reg)).map(([d, s]) => [`add ${d}, ${s}`]),
  fc.tuple(width, reg, pointerBase, offset).map(([w, d, b, o]) => [`ldx${w} ${d}, [${b}${o >= 0 ? '+' : ''}${o}]`]),
  fc.tuple(fc.constantFrom('b', 'h', 'w'), reg, pointerBase, offset).map(([w, d, b, o]) => [`ldxs${w} ${d}, [${b}${o >= 0 ? '+' : ''}${o}]`]),
  fc.tuple(width, pointerBase, offset, fc.oneof(reg, small.map(String))).map(([w, b, o, v]) =>
    [v.startsWith('%') ? `stx${w} [${b}${o >= 0 ? '+' : ''}${o}], ${v}` : `st${w} [${b}${o >= 0 ? '+' : ''}${o}], ${v}`]),
  fc.tuple(fc.constantFrom('add', 'or', 'and', 'xor', 'fetch add', 'fetch xor', 'xchg', 'cmpxchg'), fc.constantFrom('32', ''), fc.constantFrom(-8, -16, -24), reg)
    .map(([op, w, o, s]) => [`lock ${op}${w} [%r10${o}], ${s}`]),
  fc.tuple(jmpOp, suffix, reg, fc.oneof(reg, small.map(String)), ahead).map(([op, s, d, src, n]) => [`${op}${s} ${d}, ${src}, @${n}`]),
  fc.tuple(fc.constantFrom('jgt', 'jge', 'jlt', 'jle'), fc.constantFrom('%r2', '%r3'), ahead).map(([op, p, n]) => [`${op} ${p}, %r8, @${n}`]),
  fc.tuple(fc.constantFrom('jgt', 'jge', 'jlt', 'jle', 'jeq', 'jsgt', 'jsle'), fc.constantFrom('%r1', '%r2', '%r3'), fc.constantFrom('%r1', '%r2', '%r3', '%r7'), ahead)
    .map(([op, a, b, n]) => [`${op} ${a}, ${b}, @${n}`]),
  fc.tuple(fc.constantFrom('%r1', '%r2', '%r3'), width, fc.integer({ min: 0, max: 1600 })).map(([p, w, o]) => [`ldx${w} %r4, [%r7+16]`, `add ${p}, %r4`, `add ${p}, ${o}`]),
  fc.tuple(jmpOp, reg, small, fc.integer({ min: 1, max: 4 })).map(([op, d, k, n]) => [`${op} ${d}, ${k}, @-${n}`]),
  fc.constant(['call 1']),
  fc.constant(['mov %r1, 3', 'mov %r2, 1', 'call %r1']),
  fc.tuple(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 64 })).map(([src, dst]) =>
    ['stdw [%r10-64], 0', 'stdw [%r10-8], 0', 'mov %r1, %r10', `add %r1, -${src}`, `mov %r2, ${src}`, 'mov %r3, %r10', 'add %r3, -64', `mov %r4, ${dst}`, 'call 2']),
  fc.tuple(fc.constantFrom('%r7', '%r2'), small).map(([p, n]) => ['mov %r1, ' + p, `mov %r2, ${n}`, 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 16', 'call 2']),
  fc.tuple(fc.integer({ min: 0, max: 7 }), fc.boolean()).map(([k, check]) => [
    `stw [%r10-4], ${k}`, 'lddw %r1, 1', 'mov %r2, %r10', 'add %r2, -4', 'call 5', ...(check ? ['jeq %r0, 0, @2', 'ldxdw %r0, [%r0+8]'] : ['ldxdw %r4, [%r0+8]']),
  ]),
  fc.tuple(fc.integer({ min: 0, max: 7 }), small).map(([k, v]) => [
    `stw [%r10-4], ${k}`, 'lddw %r1, 1', 'mov %r2, %r10', 'add %r2, -4', 'call 5', 'jeq %r0, 0, @2', `stdw [%r0+0], ${v}`,
  ]),
  fc.constantFrom(['lddw %r3, 0x21000'], ['lddw %r3, 0x20000'], ['lddw %r2, 0x20010'], ['lddw %r3, 0x21000', 'ldxdw %r4, [%r3+0]', 'add %r4, 1', 'stxdw [%r3+0], %r4']),
  fc.tuple(fc.constantFrom('%r10', '%r7', '%r3'), fc.integer({ min: -600, max: 8 })).map(([base, n]) => [`mov %r1, ${base}`, `add %r1, ${n}`, 'call local F']),
  // A length with no proven bound (a packet dword shifted by a packet byte): a run-time buffer check.
  fc.constant(['ldxb %r3, [%r7+1]', 'ldxdw %r2, [%r7+0]', 'rsh %r2, %r3', 'mov %r1, %r7', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 16', 'call 2']),
  // The distance to the packet's end after comparing with it: a proven length.
  fc.tuple(small, ahead).map(([k, n]) => ['mov %r1, %r7', `add %r1, ${k}`, `jge %r1, %r8, @${n}`, 'mov %r2, %r8', 'sub %r2, %r1', 'mov %r3, %r10', 'add %r3, -16', 'mov %r4, 16', 'call 2']),
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
    for (const line of it) lines.push(line.replace(/@(-?\d+)$/, (_, n: string) => `I${Math.max(0, Math.min(items.length, i + Number(n)))}`));
    if (it[it.length - 1]!.startsWith('call') && i % 3 !== 0) lines.push(...REFILL);
    if (it[it.length - 1] === 'call local F' && i % 3 !== 0) lines.push('mov %r0, 0');
  });
  lines.push(`I${items.length}:`, 'exit', ...FUNCTION);
  return lines.join('\n');
}

/** The verifier's test helpers, deterministic, recording every call with its arguments. */
function recordingHelpers(log: string[]): { table: HelperTable; reset: () => void } {
  let seed = 1;
  const n = (ctx: HelperContext, i: number) => ctx.argNumber(i);
  const record = (id: number, ctx: HelperContext) => log.push(`${id}(${[1, 2, 3, 4, 5].map((i) => ctx.argU64(i).toString(16)).join(',')})`);
  const table = new HelperTable([
    { id: 1, name: 'rand', fn: (ctx) => { record(1, ctx); seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return BigInt(seed) * 0x100000001n; } },
    { id: 2, name: 'hash', fn: (ctx) => { record(2, ctx); const src = ctx.read(n(ctx, 1), n(ctx, 2)); ctx.write(n(ctx, 3), n(ctx, 4)).fill(src.length ? src[0]! ^ 0x5a : 7); return -1; } },
    { id: 3, name: 'set_status', fn: (ctx) => { record(3, ctx); return ctx.argU64(1) * 3n; } },
    { id: 4, name: 'get_status', fn: (ctx) => { record(4, ctx); if (ctx.argU64(1) !== 0n) ctx.write(n(ctx, 1), n(ctx, 2)); return 0; } },
    { id: 5, name: 'map_lookup', fn: (ctx) => { record(5, ctx); const key = ctx.read(n(ctx, 2), 4)[0]!; return key % 2 === 0 ? MAP_VALUES_ADDRESS + 16 * (key % 4) : 0; } },
    { id: 6, name: 'map_update', fn: (ctx) => { record(6, ctx); ctx.read(n(ctx, 2), 4); ctx.read(n(ctx, 3), 16); return 0; } },
    { id: 7, name: 'ctx_len', fn: (ctx) => { record(7, ctx); return 0; } },
    { id: 8, name: 'printf', fn: (ctx) => { record(8, ctx); ctx.read(n(ctx, 1), n(ctx, 2)); return 0; } },
  ]);
  return { table, reset: () => { seed = 1; log.length = 0; } };
}

function memory(platform: Platform, packetBytes: number, fill: number): MemoryRegion[] {
  const xdp = platform === XDP_LIKE;
  const packet = new Uint8Array(xdp ? packetBytes : PFP_PACKET_BYTES);
  for (let i = 0; i < packet.length; i++) packet[i] = (fill + i * 7) & 0xff;
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
    { name: 'packet', address: PACKET_ADDRESS, bytes: packet, writable: xdp },
    { name: '.rodata', address: RODATA_ADDRESS, bytes: new Uint8Array(32).fill(3), writable: false },
    { name: '.data', address: DATA_ADDRESS, bytes: new Uint8Array(16).fill(fill), writable: true },
    { name: 'map values', address: MAP_VALUES_ADDRESS, bytes: new Uint8Array(64), writable: true },
  ];
}

const describe = (r: RunResult) => (r.fault ? { fault: r.fault.code, index: r.fault.index, address: r.fault.address, size: r.fault.size, steps: r.steps } : { r0: r.value, steps: r.steps });

const PROGRAMS = Number(process.env.FS_DIFF_RUNS ?? 4000);
const INPUTS = 10;

test('wasm differential - random verified programs: same r0, faults, steps, memory and helper calls as the interpreter', () => {
  let pairs = 0;
  let faults = 0;
  let verified = 0;
  fc.assert(
    fc.property(
      fc.array(item, { minLength: 1, maxLength: 24 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 120 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 255 })), { minLength: INPUTS, maxLength: INPUTS }),
      (items, xdp, xdpBytes, inputs) => {
        const platform = xdp ? XDP_LIKE : PFP_LIKE;
        const source = render(items, xdp);
        const program = decodeProgram(assemble(source));
        let runtimeChecks: ReadonlySet<number>;
        let bufferChecks: BufferChecks;
        try {
          ({ runtimeChecks, bufferChecks } = verify(program, platform));
        } catch (err) {
          if (err instanceof VerifierError) return;
          throw err;
        }
        verified++;
        const logI: string[] = [];
        const logW: string[] = [];
        const hi = recordingHelpers(logI);
        const hw = recordingHelpers(logW);
        const interpreter = new Interpreter(program, { helpers: hi.table, budget: 3_000, bufferChecks });
        // XDP's packet region has the packet's exact size, fixed when the module is compiled.
        const layout = memory(platform, xdpBytes, 0);
        const engine = new WasmEngine(program, { helpers: hw.table, budget: 3_000, regions: layout, checks: runtimeChecks, bufferChecks, packet: layout[1] });
        for (const [bytes, fill] of inputs) {
          const size = xdp ? xdpBytes : bytes;
          const memI = memory(platform, size, fill);
          const memW = memory(platform, size, fill);
          hi.reset();
          hw.reset();
          const a = interpreter.run({ regions: memI, args: [CONTEXT_ADDRESS], packet: memI[1] });
          const b = engine.run({ regions: memW, args: [CONTEXT_ADDRESS] });
          const where = `\n${source}\n(packet ${size} bytes, fill ${fill}; runtime checks ${[...runtimeChecks]})`;
          assert.deepEqual(describe(b), describe(a), `results differ${where}`);
          assert.deepEqual(logW, logI, `helper calls differ${where}`);
          memI.forEach((r, i) => assert.deepEqual(memW[i]!.bytes, r.bytes, `${r.name} differs${where}`));
          pairs++;
          if (a.fault) faults++;
        }
      },
    ),
    { numRuns: PROGRAMS },
  );
  console.log(`wasm differential: ${verified} verified programs, ${pairs} program×input pairs (${faults} faulted)`);
  if (PROGRAMS >= 4000) assert.ok(pairs >= 10_000, `only ${pairs} program×input pairs ran`);
});
