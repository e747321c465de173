import binaryen from 'binaryen';
import type { DecodedProgram } from '../isa/decode.js';
import type { RawInstruction } from '../isa/instruction.js';
import { AtomicOp, CallKind, Mode, Op, modeOf } from '../isa/opcodes.js';
import { MAX_CALL_DEPTH, STACK_ADDRESS, STACK_BYTES, STACK_FRAME_BYTES, STACK_TOP } from '../memory.js';
import { WasmApi } from './wasm-api.js';
import { memoryLayout, type BatchLayout, type CompileOptions, type CompiledProgram, type PacketFill, type WasmRegion } from './compiled.js';
import { functionsOf, type Block, type BpfFunction } from './control-flow.js';
import {
  CTRL_BUDGET, CTRL_CURRENT, CTRL_LAST_WRITTEN, CTRL_PACKET_LENGTH, CTRL_STACK_LOW, FAULT, FAULT_HAS_ADDRESS, FAULT_HAS_SIZE, FaultCode, HELPER_ARGS,
  HELPER_RESULT, HelperStatus, RAW_ARGS, RESULT, RunState, SLOT_DATA, SLOT_FAULT, SLOT_IHL, SLOT_LENGTH, SLOT_R0, SLOT_STATE, SLOT_STEPS, STATUS_ASK_HOST, WASM_PAGE,
} from './layout.js';
import { addSrcIpStatus } from './status-cache-code.js';

type X = binaryen.ExpressionRef;
const { i32, i64, none } = binaryen;
/** Adds a child to a block without finalizing it again (binaryen.js has it; its typings do not). */
const appendChild = (binaryen as unknown as { Block: { appendChild(block: X, child: X): number } }).Block.appendChild;

/**
 * Above this many slots the optimizer runs only LARGE_PROGRAM_PASSES. None of them sinks a
 * local.set into its use: over a long straight run that builds one expression as deep as the
 * run, which binaryen's binary writer then overflows the stack on (and sinking is quadratic).
 */
const LARGE_PROGRAM = 1024;
const LARGE_PROGRAM_PASSES = ['remove-unused-brs', 'merge-blocks', 'vacuum', 'reorder-locals'];
/** Functions of more blocks than this are laid out as a dispatch loop (FunctionBuilder.dispatched). */
const RELOOPER_MAX_BLOCKS = 1024;
/** Blocks per group of the dispatch loop. */
const DISPATCH_GROUP = 128;
/** Instructions charged at once at most: the budget check names its slot with a chain of this depth. */
const MAX_SEGMENT = 64;

const STACK_REGION: WasmRegion = { name: 'stack', address: STACK_ADDRESS, size: STACK_BYTES, writable: true };

// Local indices: params (depth, r0..r9), then vars.
const DEPTH = 0;
const R10 = 11;
const REM = 12;
const TA = 13; // i64: a checked address
const TB = 14; // i64: a call's result
const LABEL = 15; // i32: the Relooper's label helper
const TP = 16; // i32: a pointer
const TO = 17; // i64: an atomic's old value
const VARS = [i64, i32, i64, i64, i32, i32, i64];
const PARAMS = binaryen.createType([i32, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64]);

const reg = (r: number): number => (r === 10 ? R10 : r + 1);
const fnName = (entry: number): string => `f${entry}`;

/**
 * DecodedProgram → a WebAssembly module (binaryen builds it; its Relooper turns each function's
 * blocks into structured control flow). Registers are i64 locals; each bpf function (the entry
 * and every local-call target) is a wasm function with its own frame pointer; the budget is
 * charged per straight run of instructions and checked before it, so a fault names the same
 * instruction as the interpreter; accesses the verifier did not prove are compared with the
 * region table. Faults never trap: they record what happened and return through every frame,
 * so one packet's fault does not end a batch.
 */
export function compileProgram(program: DecodedProgram, options: CompileOptions): CompiledProgram {
  const started = performance.now();
  const m = new binaryen.Module();
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.MutableGlobals | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt | binaryen.Features.SignExt);
    const builder = new ModuleBuilder(m, program, options);
    const batch = builder.build();
    const statusCache = builder.statusCache;
    if (!m.validate()) throw new Error('wasm compiler produced an invalid module');
    if (options.optimize !== false) {
      // binaryen's -O2 costs seconds on programs of thousands of instructions; V8 optimises the
      // module again either way, so large programs get only the passes that tidy the Relooper's
      // output, and the compile stays well under a second.
      if (program.slots.length <= LARGE_PROGRAM) {
        binaryen.setOptimizeLevel(2);
        binaryen.setShrinkLevel(0);
        m.optimize();
      } else {
        m.runPasses(LARGE_PROGRAM_PASSES);
      }
    }
    const bytes = m.emitBinary();
    const module = new WasmApi.Module(bytes);
    return { module, regions: builder.regions, batch, statusCache, pages: builder.pages, wasmBytes: bytes.length, wasm: bytes, compileMs: performance.now() - started };
  } finally {
    m.dispose();
  }
}

class ModuleBuilder {
  readonly regions: WasmRegion[];
  pages = 0;
  /** address of the status cache, when get_src_ip_status is compiled in */
  statusCache: number | null = null;
  private readonly all: WasmRegion[];
  private readonly packet: WasmRegion | null;
  private readonly hasLocalCalls: boolean;

  constructor(private readonly m: binaryen.Module, private readonly program: DecodedProgram, private readonly options: CompileOptions) {
    this.regions = options.regions.map((r) => ({ ...r }));
    this.all = [STACK_REGION, ...this.regions];
    const p = options.packetRegion === undefined ? 0 : options.packetRegion;
    this.packet = p === null ? null : (this.regions[p] ?? null);
    this.hasLocalCalls = program.infos.some((info, i) => info?.kind === 'call' && program.slots[i]!.src === CallKind.LOCAL);
  }

  build(): BatchLayout | null {
    const m = this.m;
    const fill = this.options.fill;
    const { batch, statusCache, pages } = memoryLayout(this.regions, fill ?? null, this.srcIpStatus !== undefined);
    this.pages = pages;
    this.statusCache = statusCache;
    m.setMemory(this.pages, this.pages, 'memory');

    m.addGlobal('state', i32, true, m.i32.const(0));
    m.addGlobal('rem', i32, true, m.i32.const(0));
    for (let r = 1; r <= 5; r++) m.addGlobal(`c${r}`, i64, true, i64c(m, 0));
    m.addFunctionImport('helper', 'env', 'helper', binaryen.createType([i32, i32]), i32);
    this.addSupport();
    if (this.skbLoadBytes !== undefined) this.addSkbLoadBytes();
    if (statusCache !== null) addSrcIpStatus(m, statusCache, fill!.packetAddress);
    for (const fn of functionsOf(this.program)) new FunctionBuilder(this, m, this.program, fn).build();
    this.addRawEntry();
    m.addFunctionExport('run_raw', 'run_raw');
    if (fill && batch) this.addBatchEntry(fill, batch);
    return batch;
  }

  // --- what every function needs -------------------------------------------------------------

  get local(): boolean {
    return this.hasLocalCalls;
  }

  checked(slot: number): boolean {
    return this.options.checks === 'all' || this.options.checks.has(slot);
  }

  /** i32 condition: [address, address + size) lies in a region that allows the access. */
  inRegions(address: () => X, size: number, write: boolean, dynamicSize?: () => X): X {
    const m = this.m;
    const tests: X[] = [];
    for (const r of this.all) {
      if (r.size < size || (write && !r.writable)) continue;
      // address - start <= region size - access size, unsigned (so addresses below the start fail)
      tests.push(dynamicSize
        ? m.i32.and(m.i64.le_u(dynamicSize(), i64c(m, r.size)), m.i64.le_u(m.i64.sub(address(), i64c(m, r.address)), m.i64.sub(i64c(m, r.size), dynamicSize())))
        : m.i64.le_u(m.i64.sub(address(), i64c(m, r.address)), i64c(m, r.size - size)));
    }
    // Tried in order, stopping at the first region that holds the access.
    let cond: X = m.i32.const(0);
    for (let i = tests.length - 1; i >= 0; i--) cond = i === tests.length - 1 ? tests[i]! : m.if(tests[i]!, m.i32.const(1), cond);
    return cond;
  }

  get relooperMaxBlocks(): number {
    return this.options.relooperMaxBlocks ?? RELOOPER_MAX_BLOCKS;
  }

  get packetRegion(): WasmRegion | null {
    return this.packet;
  }

  get skbLoadBytes(): number | undefined {
    return this.options.intrinsics?.skbLoadBytes;
  }

  /** get_src_ip_status from the status cache: only over PFP's packet layout, where the IP header sits at a fixed place. */
  get srcIpStatus(): { helper: number; hostOnly: readonly number[] } | undefined {
    return this.options.fill?.kind === 'pfp' ? this.options.intrinsics?.srcIpStatus : undefined;
  }

  /**
   * skb_load_bytes(offset, to, length, slot) -> r0, as linux-helpers.ts does it: a length or
   * destination past 53 bits is a helper fault; the destination must be writable program memory
   * (else a memory fault at the call); a range past the packet zeroes the destination and
   * returns -EFAULT.
   */
  private addSkbLoadBytes(): void {
    const m = this.m;
    const [OFF, TO, LEN, SLOT, N, P, Q] = [0, 1, 2, 3, 4, 5, 6];
    const g64 = (n: number) => m.local.get(n, i64);
    const fault = (code: FaultCode, address: X | null, size: X | null, flags: number) => m.block(null, [
      m.call('fault', [m.i32.const(code), m.local.get(SLOT, i32), address ?? i64c(m, 0), size ?? m.i32.const(0), m.i32.const(flags)], none),
      m.return(i64c(m, 0)),
    ]);
    const tooLarge = (x: X) => m.i64.ge_u(x, i64c(m, 2 ** 53));
    const packetLength = () => m.i64.extend_u(m.i32.load(0, 4, m.i32.const(CTRL_PACKET_LENGTH)));
    const packetAddress = this.options.fill?.packetAddress ?? 0;
    m.addFunction('skb_load_bytes', binaryen.createType([i64, i64, i64, i32]), i64, [i32, i32, i32], m.block(null, [
      m.if(tooLarge(g64(LEN)), fault(FaultCode.HELPER, null, null, 0)),
      m.if(tooLarge(g64(TO)), fault(FaultCode.HELPER, null, null, 0)),
      m.if(m.i64.eqz(g64(LEN)), m.block(null, [
        m.if(m.i64.gt_u(g64(OFF), packetLength()), m.return(i64c(m, -14))),
        m.return(i64c(m, 0)),
      ])),
      m.if(m.i32.eqz(this.inRegions(() => g64(TO), 0, true, () => g64(LEN))), fault(FaultCode.MEMORY, g64(TO), m.i32.wrap(g64(LEN)), FAULT_HAS_ADDRESS | FAULT_HAS_SIZE)),
      m.local.set(N, m.i32.wrap(g64(LEN))),
      m.local.set(P, m.i32.wrap(g64(TO))),
      m.if(m.i32.lt_u(m.local.get(P, i32), m.i32.load(0, 4, m.i32.const(CTRL_STACK_LOW))), m.i32.store(0, 4, m.i32.const(CTRL_STACK_LOW), m.local.get(P, i32))),
      m.if(m.i32.or(m.i64.gt_u(g64(OFF), packetLength()), m.i64.gt_u(g64(LEN), m.i64.sub(packetLength(), g64(OFF)))), m.block(null, [
        m.memory.fill(m.local.get(P, i32), m.i32.const(0), m.local.get(N, i32)),
        m.return(i64c(m, -14)),
      ])),
      // A few bytes (a header, a tail) are copied by a loop: cheaper than V8's call for memory.copy.
      m.if(m.i32.gt_u(m.local.get(N, i32), m.i32.const(64)),
        m.memory.copy(m.local.get(P, i32), m.i32.add(m.i32.const(packetAddress), m.i32.wrap(g64(OFF))), m.local.get(N, i32)),
        m.block(null, [
          m.local.set(Q, m.i32.add(m.i32.const(packetAddress), m.i32.wrap(g64(OFF)))),
          m.block('words_done', [m.loop('words', m.block(null, [
            m.br('words_done', m.i32.lt_u(m.local.get(N, i32), m.i32.const(8))),
            m.i64.store(0, 1, m.local.get(P, i32), m.i64.load(0, 1, m.local.get(Q, i32))),
            m.local.set(P, m.i32.add(m.local.get(P, i32), m.i32.const(8))),
            m.local.set(Q, m.i32.add(m.local.get(Q, i32), m.i32.const(8))),
            m.local.set(N, m.i32.sub(m.local.get(N, i32), m.i32.const(8))),
            m.br('words'),
          ]))]),
          m.if(m.local.get(N, i32), m.loop('bytes', m.block(null, [
            m.i32.store8(0, 1, m.local.get(P, i32), m.i32.load8_u(0, 1, m.local.get(Q, i32))),
            m.local.set(P, m.i32.add(m.local.get(P, i32), m.i32.const(1))),
            m.local.set(Q, m.i32.add(m.local.get(Q, i32), m.i32.const(1))),
            m.local.set(N, m.i32.sub(m.local.get(N, i32), m.i32.const(1))),
            m.br('bytes', m.local.get(N, i32)),
          ]))),
        ])),
      i64c(m, 0),
    ], i64));
  }

  private addSupport(): void {
    const m = this.m;
    // fault(code, slot, address, size, flags): records the fault; the caller then returns.
    m.addFunction('fault', binaryen.createType([i32, i32, i64, i32, i32]), none, [], m.block(null, [
      m.i32.store(0, 4, m.i32.const(FAULT), m.local.get(0, i32)),
      m.i32.store(4, 4, m.i32.const(FAULT), m.local.get(1, i32)),
      m.i64.store(8, 8, m.i32.const(FAULT), m.local.get(2, i64)),
      m.i32.store(16, 4, m.i32.const(FAULT), m.local.get(3, i32)),
      m.i32.store(20, 4, m.i32.const(FAULT), m.local.get(4, i32)),
      m.global.set('state', m.i32.const(RunState.FAULT)),
    ]));
    const bswap32 = (x: () => X) => m.i32.or(
      m.i32.and(m.i32.rotl(x(), m.i32.const(8)), m.i32.const(0x00ff00ff)),
      m.i32.and(m.i32.rotr(x(), m.i32.const(8)), m.i32.const(0xff00ff00 | 0)),
    );
    m.addFunction('bswap16', binaryen.createType([i32]), i32, [], m.i32.or(
      m.i32.and(m.i32.shl(m.local.get(0, i32), m.i32.const(8)), m.i32.const(0xff00)),
      m.i32.and(m.i32.shr_u(m.local.get(0, i32), m.i32.const(8)), m.i32.const(0xff)),
    ));
    m.addFunction('bswap32', binaryen.createType([i32]), i32, [], bswap32(() => m.local.get(0, i32)));
    m.addFunction('bswap64', binaryen.createType([i64]), i64, [], m.i64.or(
      m.i64.shl(m.i64.extend_u(m.call('bswap32', [m.i32.wrap(m.local.get(0, i64))], i32)), i64c(m, 32)),
      m.i64.extend_u(m.call('bswap32', [m.i32.wrap(m.i64.shr_u(m.local.get(0, i64), i64c(m, 32)))], i32)),
    ));
    // Small copies and fills as word loops: memory.copy and memory.fill are calls out of the
    // generated code in V8, which cost more than the few words a packet or a frame needs.
    // zero_words(at, end): zeroes [at, end) eight bytes at a time (may pass end by up to 7).
    m.addFunction('zero_words', binaryen.createType([i32, i32]), none, [], m.block('out', [
      m.loop('more', m.block(null, [
        m.br('out', m.i32.ge_u(m.local.get(0, i32), m.local.get(1, i32))),
        m.i64.store(0, 1, m.local.get(0, i32), i64c(m, 0)),
        m.local.set(0, m.i32.add(m.local.get(0, i32), m.i32.const(8))),
        m.br('more'),
      ])),
    ]));
    // copy_words(to, from, words)
    m.addFunction('copy_words', binaryen.createType([i32, i32, i32]), none, [], m.block('out', [
      m.loop('more', m.block(null, [
        m.br('out', m.i32.eqz(m.local.get(2, i32))),
        m.i64.store(0, 1, m.local.get(0, i32), m.i64.load(0, 1, m.local.get(1, i32))),
        m.local.set(0, m.i32.add(m.local.get(0, i32), m.i32.const(8))),
        m.local.set(1, m.i32.add(m.local.get(1, i32), m.i32.const(8))),
        m.local.set(2, m.i32.sub(m.local.get(2, i32), m.i32.const(1))),
        m.br('more'),
      ])),
    ]));
    // prepare(): zero what the last run wrote of the stack, reset state and budget.
    const low = () => m.i32.load(0, 4, m.i32.const(CTRL_STACK_LOW));
    m.addFunction('prepare', none, none, [i32], m.block(null, [
      m.local.set(0, m.i32.and(low(), m.i32.const(~7))),
      m.if(m.i32.lt_u(m.local.get(0, i32), m.i32.const(STACK_TOP)), m.block(null, [
        m.call('zero_words', [m.local.get(0, i32), m.i32.const(STACK_TOP)], none),
        m.i32.store(0, 4, m.i32.const(CTRL_STACK_LOW), m.i32.const(STACK_TOP)),
      ])),
      m.global.set('state', m.i32.const(RunState.OK)),
      m.global.set('rem', m.i32.load(0, 4, m.i32.const(CTRL_BUDGET))),
    ]));
  }

  /** run_raw(): r1..r5 from RAW_ARGS, result at RESULT; returns the state. */
  private addRawEntry(): void {
    const m = this.m;
    const args = [m.i32.const(0), i64c(m, 0)];
    for (let r = 1; r <= 5; r++) args.push(m.i64.load((r - 1) * 8, 8, m.i32.const(RAW_ARGS)));
    for (let r = 6; r <= 9; r++) args.push(i64c(m, 0));
    m.addFunction('run_raw', none, i32, [i64], m.block(null, [
      m.call('prepare', [], none),
      m.local.set(0, m.call(fnName(0), args, i64)),
      m.i64.store(0, 8, m.i32.const(RESULT), m.local.get(0, i64)),
      m.i32.store(8, 4, m.i32.const(RESULT), m.i32.sub(m.i32.load(0, 4, m.i32.const(CTRL_BUDGET)), m.global.get('rem', i32))),
      m.i32.store(12, 4, m.i32.const(RESULT), m.global.get('state', i32)),
      m.global.get('state', i32),
    ], i32));
  }

  /**
   * run_packets(first, count): for each batch slot, lay out the context and packet as the
   * program type does, run the program with r1 = the context, and write r0, steps, state and
   * any fault into the slot's header.
   */
  private addBatchEntry(fill: PacketFill, batch: BatchLayout): void {
    const m = this.m;
    // locals: 0 first, 1 count, 2 i, 3 slot, 4 len, 5 written, 6 v6, 7 last; 8 r0
    const [FIRST, COUNT, I, SLOT, LEN, WRITTEN, V6, LAST, RES] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const g = (n: number) => m.local.get(n, n === RES ? i64 : i32);
    const c = (n: number) => m.i32.const(n);
    const ctx = fill.ctxAddress;
    const pkt = fill.packetAddress;
    const data = () => m.i32.add(g(SLOT), c(SLOT_DATA));
    // The packet padded with zeros to whole words, then copied word by word; WRITTEN counts words.
    const copyPacket = (to: number) => m.block(null, [
      m.i64.store(0, 1, m.i32.add(data(), g(LEN)), i64c(m, 0)),
      m.call('copy_words', [c(to), data(), m.i32.shr_u(m.i32.add(g(LEN), c(7)), c(3))], none),
      m.local.set(WRITTEN, m.i32.add(c(to - pkt), m.i32.and(m.i32.add(g(LEN), c(7)), c(~7)))),
    ]);
    const isV6 = m.local.set(V6, m.select(g(LEN), m.i32.eq(m.i32.shr_u(m.i32.load8_u(0, 1, data()), c(4)), c(6)), c(0)));
    let layout: X[];
    switch (fill.kind) {
      case 'pfp':
        layout = [
          m.i64.store(0, 8, c(ctx), i64c(m, pkt)),
          m.i64.store(8, 8, c(ctx), i64c(m, pkt + fill.packetRegionBytes)),
          m.i64.store(16, 8, c(ctx), i64c(m, 0)),
          m.i64.store(0, 8, c(pkt), m.i64.extend_u(g(LEN))),
          m.i64.store(8, 8, c(pkt), m.i64.extend_u(m.i32.load(SLOT_IHL, 4, g(SLOT)))),
          copyPacket(pkt + 16),
        ];
        break;
      case 'socket':
        layout = [
          isV6,
          m.call('zero_words', [c(ctx), c(ctx + 144)], none),
          m.i32.store(0, 4, c(ctx), g(LEN)),
          m.i32.store(16, 4, c(ctx), m.select(g(V6), c(0xdd86), c(0x0008))),
          m.i32.store(88, 4, c(ctx), m.select(g(V6), c(10), c(2))),
          m.i32.store(76, 4, c(ctx), c(pkt)),
          m.i32.store(80, 4, c(ctx), m.i32.add(c(pkt), g(LEN))),
          m.i32.store(140, 4, c(ctx), c(pkt)),
          copyPacket(pkt),
        ];
        break;
      case 'xdp':
        layout = [
          isV6,
          m.i32.store(0, 4, c(ctx), c(pkt)),
          m.i32.store(4, 4, c(ctx), m.i32.add(c(pkt + 14), g(LEN))),
          m.i32.store(8, 4, c(ctx), c(pkt)),
          m.i64.store(0, 1, c(pkt), i64c(m, 0)),
          m.i32.store(8, 1, c(pkt), c(0)),
          m.i32.store8(12, 1, c(pkt), m.select(g(V6), c(0x86), c(0x08))),
          m.i32.store8(13, 1, c(pkt), m.select(g(V6), c(0xdd), c(0x00))),
          copyPacket(pkt + 14),
        ];
        break;
    }
    const args = [c(0), i64c(m, 0), i64c(m, ctx)];
    for (let r = 2; r <= 9; r++) args.push(i64c(m, 0));
    const runOne = m.block(null, [
      ...layout,
      // Bytes past the packet read as zero, never as an earlier packet.
      m.i32.store(0, 4, c(CTRL_PACKET_LENGTH), g(LEN)),
      m.local.set(LAST, m.i32.load(0, 4, c(CTRL_LAST_WRITTEN))),
      m.if(m.i32.lt_u(g(WRITTEN), g(LAST)), m.call('zero_words', [m.i32.add(c(pkt), g(WRITTEN)), m.i32.add(c(pkt), g(LAST))], none)),
      m.i32.store(0, 4, c(CTRL_LAST_WRITTEN), g(WRITTEN)),
      m.call('prepare', [], none),
      m.local.set(RES, m.call(fnName(0), args, i64)),
      m.i64.store(SLOT_R0, 8, g(SLOT), g(RES)),
      m.i32.store(SLOT_STEPS, 4, g(SLOT), m.i32.sub(m.i32.load(0, 4, c(CTRL_BUDGET)), m.global.get('rem', i32))),
      m.i32.store(SLOT_STATE, 4, g(SLOT), m.global.get('state', i32)),
      m.if(m.i32.eq(m.global.get('state', i32), c(RunState.FAULT)), m.memory.copy(m.i32.add(g(SLOT), c(SLOT_FAULT)), c(FAULT), c(24))),
    ]);
    const body = m.block(null, [
      m.local.set(I, g(FIRST)),
      m.block('done', [
        m.loop('next', m.block(null, [
          m.br('done', m.i32.ge_u(g(I), m.i32.add(g(FIRST), g(COUNT)))),
          m.local.set(SLOT, m.i32.add(c(batch.address), m.i32.mul(g(I), c(batch.stride)))),
          m.i32.store(0, 4, c(CTRL_CURRENT), g(I)),
          m.local.set(LEN, m.i32.load(SLOT_LENGTH, 4, g(SLOT))),
          m.if(m.i32.eq(g(LEN), c(-1)), m.i32.store(SLOT_STATE, 4, g(SLOT), c(RunState.SKIPPED)), runOne),
          m.local.set(I, m.i32.add(g(I), c(1))),
          m.br('next'),
        ])),
      ]),
    ]);
    m.addFunction('run_packets', binaryen.createType([i32, i32]), none, [i32, i32, i32, i32, i32, i32, i64], body);
    m.addFunctionExport('run_packets', 'run_packets');
  }
}

/** Compiles one bpf function: its blocks become Relooper blocks, its registers locals. */
class FunctionBuilder {
  constructor(
    private readonly mb: ModuleBuilder,
    private readonly m: binaryen.Module,
    private readonly program: DecodedProgram,
    private readonly fn: BpfFunction,
  ) {}

  build(): void {
    const m = this.m;
    const body = this.fn.blocks.size <= this.mb.relooperMaxBlocks ? this.relooped() : this.dispatched();
    m.addFunction(fnName(this.fn.entry), PARAMS, i64, VARS, m.block(null, [...this.prologue(), body, m.unreachable()]));
  }

  /** The blocks as structured control flow by binaryen's Relooper (if/else and loops, the best code V8 gets). */
  private relooped(): X {
    const relooper = new binaryen.Relooper(this.m);
    const refs = new Map<number, number>();
    for (const block of this.fn.blocks.values()) refs.set(block.start, relooper.addBlock(this.blockCode(block)));
    for (const block of this.fn.blocks.values()) {
      const from = refs.get(block.start)!;
      const end = block.end;
      if (end.kind === 'goto') relooper.addBranch(from, refs.get(end.target)!, 0, 0);
      else if (end.kind === 'branch') {
        relooper.addBranch(from, refs.get(end.target)!, this.condition(this.program.slots[block.slots[block.slots.length - 1]!]!), 0);
        relooper.addBranch(from, refs.get(end.next)!, 0, 0);
      }
    }
    return relooper.renderAndDispose(refs.get(this.fn.entry)!, LABEL);
  }

  /**
   * The blocks in slot order, each placed after the end of its own wasm block, in groups of
   * DISPATCH_GROUP, the groups likewise, all in one dispatch loop. A forward jump inside a group
   * is a `br` to the target's block (falling through to the next one); any other jump sets LABEL
   * and enters the target's group (forward) or goes round the loop (backward) to a `br_table` on
   * the group, then one on the block. Nothing recurses per block (the Relooper's rendering does,
   * once per block of a chain, and overflows the stack on programs of tens of thousands of
   * instructions), and no `br` is nested deeper than a group or two of blocks (binaryen finds a
   * branch's target by a scan of the enclosing blocks).
   */
  private dispatched(): X {
    const m = this.m;
    const blocks = [...this.fn.blocks.values()];
    const index = new Map(blocks.map((b, i) => [b.start, i]));
    const group = (i: number) => Math.floor(i / DISPATCH_GROUP);
    const jump = (from: number, start: number): X => {
      const to = index.get(start)!;
      if (group(to) === group(from) && to > from) return to === from + 1 ? m.nop() : m.br(`b${to}`);
      const set = m.local.set(LABEL, m.i32.const(to));
      return m.block(null, [set, m.br(to > from ? `g${group(to)}` : 'dispatch')]);
    };
    const code = (i: number): X => {
      const block = blocks[i]!;
      const end = block.end;
      const parts = [this.blockCode(block)];
      if (end.kind === 'goto') parts.push(jump(i, end.target));
      else if (end.kind === 'branch') {
        parts.push(m.if(this.condition(this.program.slots[block.slots[block.slots.length - 1]!]!), jump(i, end.target)));
        parts.push(jump(i, end.next));
      }
      return m.block(null, parts);
    };
    // items[k] lands at the end of the wasm block named names[k], chosen by the br_table on `selector`.
    // Each named block gets its item appended after it is made: made with an unreachable child
    // (an item ends in a jump), binaryen would scan the block for branches to its name, and
    // every block holds all the ones before it.
    const nest = (names: string[], selector: X, items: (k: number) => X): X => {
      let inner = m.block(names[0]!, [m.switch(names, names[0]!, selector)], none);
      for (let k = 1; k < names.length; k++) {
        const outer = m.block(names[k]!, [inner], none);
        appendChild(outer, items(k - 1));
        inner = outer;
      }
      return m.block(null, [inner, items(names.length - 1)]);
    };
    const groups = group(blocks.length - 1) + 1;
    const groupCode = (g: number): X => {
      const first = g * DISPATCH_GROUP;
      const count = Math.min(DISPATCH_GROUP, blocks.length - first);
      const names = Array.from({ length: count }, (_, k) => `b${first + k}`);
      return nest(names, m.i32.sub(m.local.get(LABEL, i32), m.i32.const(first)), (k) => code(first + k));
    };
    const groupNames = Array.from({ length: groups }, (_, g) => `g${g}`);
    return m.block(null, [
      m.local.set(LABEL, m.i32.const(index.get(this.fn.entry)!)),
      m.loop('dispatch', nest(groupNames, m.i32.div_u(m.local.get(LABEL, i32), m.i32.const(DISPATCH_GROUP)), groupCode)),
    ]);
  }

  private get(r: number): X {
    return this.m.local.get(reg(r), i64);
  }

  private set(r: number, value: X): X {
    return this.m.local.set(reg(r), value);
  }

  private prologue(): X[] {
    const m = this.m;
    const code = [
      m.local.set(R10, m.i64.extend_u(m.i32.sub(m.i32.const(STACK_TOP), m.i32.mul(m.local.get(DEPTH, i32), m.i32.const(STACK_FRAME_BYTES))))),
      m.local.set(REM, m.global.get('rem', i32)),
    ];
    // Proven stores through r10 at a constant offset are not tracked one by one: the lowest
    // such address of this frame is recorded once, so the next run zeroes it.
    let lowest: number | null = null;
    for (const block of this.fn.blocks.values()) {
      for (const slot of block.slots) {
        if (this.isQuietStore(slot)) lowest = Math.min(lowest ?? 0, this.program.slots[slot]!.offset);
      }
    }
    if (lowest !== null) code.push(this.trackStack(m.i32.add(m.i32.wrap(m.local.get(R10, i64)), m.i32.const(lowest))));
    return code;
  }

  private trackStack(address: X): X {
    const m = this.m;
    return m.block(null, [
      m.local.set(TP, address),
      m.if(m.i32.lt_u(m.local.get(TP, i32), m.i32.load(0, 4, m.i32.const(CTRL_STACK_LOW))), m.i32.store(0, 4, m.i32.const(CTRL_STACK_LOW), m.local.get(TP, i32))),
    ]);
  }

  /** A proven store through r10: it can only write this frame's stack, which no one sees after the run. */
  private isQuietStore(slot: number): boolean {
    const kind = this.program.infos[slot]!.kind;
    return (kind === 'st' || kind === 'stx') && this.program.slots[slot]!.dst === 10 && !this.mb.checked(slot);
  }

  /**
   * Whether an instruction may fault or have an effect someone can see. Such an instruction
   * ends a budget segment, so the budget is checked before any effect it must not have.
   */
  private endsSegment(slot: number): boolean {
    const kind = this.program.infos[slot]!.kind;
    switch (kind) {
      case 'alu': case 'neg': case 'end': case 'lddw': return false;
      case 'ldx': return this.mb.checked(slot);
      case 'st': case 'stx': return !this.isQuietStore(slot);
      default: return true;
    }
  }

  private blockCode(block: Block): X {
    const m = this.m;
    const code: X[] = [];
    let segment: number[] = [];
    const flush = () => {
      if (!segment.length) return;
      code.push(this.charge(segment));
      for (const slot of segment) code.push(this.instruction(slot));
      segment = [];
    };
    for (const slot of block.slots) {
      segment.push(slot);
      if (this.endsSegment(slot) || segment.length === MAX_SEGMENT) flush();
    }
    flush();
    return m.block(null, code);
  }

  /** Charges a segment's instructions; when the budget runs out inside it, faults at the same slot as the interpreter. */
  private charge(slots: number[]): X {
    const m = this.m;
    const n = slots.length;
    let slotExpr: X;
    if (slots[n - 1]! - slots[0]! === n - 1) slotExpr = m.i32.add(m.i32.const(slots[0]!), m.local.get(REM, i32));
    else {
      slotExpr = m.i32.const(slots[n - 1]!);
      for (let j = n - 2; j >= 0; j--) slotExpr = m.select(m.i32.eq(m.local.get(REM, i32), m.i32.const(j)), m.i32.const(slots[j]!), slotExpr);
    }
    return m.block(null, [
      m.if(m.i32.lt_s(m.local.get(REM, i32), m.i32.const(n)), m.block(null, [
        m.call('fault', [m.i32.const(FaultCode.BUDGET), slotExpr, i64c(m, 0), m.i32.const(0), m.i32.const(0)], none),
        m.local.set(REM, m.i32.const(0)),
        this.leave(),
      ])),
      m.local.set(REM, m.i32.sub(m.local.get(REM, i32), m.i32.const(n))),
    ]);
  }

  /** Returns from this function after a fault or a stop (state says which). */
  private leave(value?: X): X {
    const m = this.m;
    return m.block(null, [m.global.set('rem', m.local.get(REM, i32)), m.return(value ?? i64c(m, 0))]);
  }

  private fault(code: FaultCode, slot: number, address: X | null, size: number | null): X {
    const m = this.m;
    const flags = (address ? FAULT_HAS_ADDRESS : 0) | (size !== null ? FAULT_HAS_SIZE : 0);
    return m.block(null, [
      m.call('fault', [m.i32.const(code), m.i32.const(slot), address ?? i64c(m, 0), m.i32.const(size ?? 0), m.i32.const(flags)], none),
      this.leave(),
    ]);
  }

  private instruction(slot: number): X {
    const inst = this.program.slots[slot]!;
    const info = this.program.infos[slot]!;
    switch (info.kind) {
      case 'alu': return info.is64 ? this.alu64(inst) : this.alu32(inst);
      case 'neg': return info.is64
        ? this.set(inst.dst, this.m.i64.sub(i64c(this.m, 0), this.get(inst.dst)))
        : this.set(inst.dst, this.m.i64.extend_u(this.m.i32.sub(this.m.i32.const(0), this.lo(inst.dst))));
      case 'end': return this.byteSwap(inst);
      case 'lddw': return this.set(inst.dst, i64k(this.m, inst.imm, this.program.slots[slot + 1]!.imm));
      case 'ldx': return this.load(slot, inst, info.width, (inst.opcode & 0xe0) === Mode.MEMSX);
      case 'st': return this.store(slot, inst, info.width, info.width === 8 ? i64c(this.m, inst.imm) : i64k(this.m, inst.imm, 0));
      case 'stx': return this.store(slot, inst, info.width, this.get(inst.src));
      case 'atomic': return this.atomic(slot, inst, info.width);
      case 'ld-abs': case 'ld-ind': return this.packetLoad(slot, inst, info.width);
      case 'call':
        if (inst.src === CallKind.LOCAL) return this.localCall(slot);
        if (inst.imm === this.mb.skbLoadBytes) return this.skbLoadBytes(slot);
        if (inst.imm === this.mb.srcIpStatus?.helper && !this.mb.srcIpStatus.hostOnly.includes(slot)) return this.srcIpStatus(slot);
        return this.helperCall(slot, this.m.i32.const(inst.imm));
      case 'callx': return this.callx(slot, inst);
      case 'exit': return this.exit();
      case 'ja': case 'ja32': case 'jcond': return this.m.nop(); // branches are the Relooper's
    }
  }

  private lo(r: number): X {
    return this.m.i32.wrap(this.get(r));
  }

  // --- arithmetic ------------------------------------------------------------------------------

  private alu64(inst: RawInstruction): X {
    const m = this.m;
    const d = inst.dst;
    const isReg = (inst.opcode & 0x08) !== 0;
    const imm = inst.imm;
    const a = () => this.get(d);
    const b = () => (isReg ? this.get(inst.src) : i64c(m, imm));
    const zero = () => i64c(m, 0);
    const signed = inst.offset === 1;
    let v: X;
    switch (inst.opcode & 0xf0) {
      case 0x00: v = m.i64.add(a(), b()); break;
      case 0x10: v = m.i64.sub(a(), b()); break;
      case 0x20: v = m.i64.mul(a(), b()); break;
      case 0x30: // div: by zero gives 0; INT64_MIN / -1 wraps
        if (!isReg) v = imm === 0 ? zero() : signed && imm === -1 ? m.i64.sub(zero(), a()) : (signed ? m.i64.div_s : m.i64.div_u)(a(), b());
        else if (signed) v = m.if(m.i64.eqz(b()), zero(), m.if(m.i64.eq(b(), i64c(m, -1)), m.i64.sub(zero(), a()), m.i64.div_s(a(), b())));
        else v = m.if(m.i64.eqz(b()), zero(), m.i64.div_u(a(), b()));
        break;
      case 0x90: // mod: by zero leaves the dividend
        if (!isReg) v = imm === 0 ? a() : signed && imm === -1 ? zero() : (signed ? m.i64.rem_s : m.i64.rem_u)(a(), b());
        else v = m.if(m.i64.eqz(b()), a(), (signed ? m.i64.rem_s : m.i64.rem_u)(a(), b()));
        break;
      case 0x40: v = m.i64.or(a(), b()); break;
      case 0x50: v = m.i64.and(a(), b()); break;
      case 0x60: v = m.i64.shl(a(), b()); break;
      case 0x70: v = m.i64.shr_u(a(), b()); break;
      case 0xa0: v = m.i64.xor(a(), b()); break;
      case 0xc0: v = m.i64.shr_s(a(), b()); break;
      case 0xb0: // mov, movsx
        if (!isReg || inst.offset === 0) v = b();
        else if (inst.offset === 8) v = m.i64.extend8_s(this.get(inst.src));
        else if (inst.offset === 16) v = m.i64.extend16_s(this.get(inst.src));
        else v = m.i64.extend32_s(this.get(inst.src));
        break;
      default: throw new Error(`wasm compiler: no 64-bit ALU case for opcode 0x${inst.opcode.toString(16)}`);
    }
    return this.set(d, v);
  }

  private alu32(inst: RawInstruction): X {
    const m = this.m;
    const d = inst.dst;
    const isReg = (inst.opcode & 0x08) !== 0;
    const imm = inst.imm;
    const a = () => this.lo(d);
    const b = () => (isReg ? this.lo(inst.src) : m.i32.const(imm));
    const zero = () => m.i32.const(0);
    const signed = inst.offset === 1;
    let v: X;
    switch (inst.opcode & 0xf0) {
      case 0x00: v = m.i32.add(a(), b()); break;
      case 0x10: v = m.i32.sub(a(), b()); break;
      case 0x20: v = m.i32.mul(a(), b()); break;
      case 0x30:
        if (!isReg) v = imm === 0 ? zero() : signed && imm === -1 ? m.i32.sub(zero(), a()) : (signed ? m.i32.div_s : m.i32.div_u)(a(), b());
        else if (signed) v = m.if(m.i32.eqz(b()), zero(), m.if(m.i32.eq(b(), m.i32.const(-1)), m.i32.sub(zero(), a()), m.i32.div_s(a(), b())));
        else v = m.if(m.i32.eqz(b()), zero(), m.i32.div_u(a(), b()));
        break;
      case 0x90:
        if (!isReg) v = imm === 0 ? a() : signed && imm === -1 ? zero() : (signed ? m.i32.rem_s : m.i32.rem_u)(a(), b());
        else v = m.if(m.i32.eqz(b()), a(), (signed ? m.i32.rem_s : m.i32.rem_u)(a(), b()));
        break;
      case 0x40: v = m.i32.or(a(), b()); break;
      case 0x50: v = m.i32.and(a(), b()); break;
      case 0x60: v = m.i32.shl(a(), b()); break;
      case 0x70: v = m.i32.shr_u(a(), b()); break;
      case 0xa0: v = m.i32.xor(a(), b()); break;
      case 0xc0: v = m.i32.shr_s(a(), b()); break;
      case 0xb0:
        if (!isReg || inst.offset === 0) v = b();
        else if (inst.offset === 8) v = m.i32.extend8_s(this.lo(inst.src));
        else v = m.i32.extend16_s(this.lo(inst.src));
        break;
      default: throw new Error(`wasm compiler: no 32-bit ALU case for opcode 0x${inst.opcode.toString(16)}`);
    }
    return this.set(d, m.i64.extend_u(v));
  }

  private byteSwap(inst: RawInstruction): X {
    const m = this.m;
    const d = inst.dst;
    if (inst.opcode === Op.LE) {
      if (inst.imm === 16) return this.set(d, m.i64.and(this.get(d), i64c(m, 0xffff)));
      if (inst.imm === 32) return this.set(d, m.i64.extend_u(this.lo(d)));
      return m.nop();
    }
    if (inst.imm === 16) return this.set(d, m.i64.extend_u(m.call('bswap16', [this.lo(d)], i32)));
    if (inst.imm === 32) return this.set(d, m.i64.extend_u(m.call('bswap32', [this.lo(d)], i32)));
    return this.set(d, m.call('bswap64', [this.get(d)], i64));
  }

  private condition(inst: RawInstruction): X {
    const m = this.m;
    const isReg = (inst.opcode & 0x08) !== 0;
    const wide = (inst.opcode & 0x07) === 0x05;
    const ops = wide ? m.i64 : m.i32;
    const a = wide ? this.get(inst.dst) : this.lo(inst.dst);
    const b = isReg ? (wide ? this.get(inst.src) : this.lo(inst.src)) : wide ? i64c(m, inst.imm) : m.i32.const(inst.imm);
    switch (inst.opcode & 0xf0) {
      case 0x10: return ops.eq(a, b);
      case 0x50: return ops.ne(a, b);
      case 0x40: return wide ? m.i64.ne(m.i64.and(a, b), i64c(m, 0)) : m.i32.ne(m.i32.and(a, b), m.i32.const(0));
      case 0x20: return ops.gt_u(a, b);
      case 0x30: return ops.ge_u(a, b);
      case 0xa0: return ops.lt_u(a, b);
      case 0xb0: return ops.le_u(a, b);
      case 0x60: return ops.gt_s(a, b);
      case 0x70: return ops.ge_s(a, b);
      case 0xc0: return ops.lt_s(a, b);
      case 0xd0: return ops.le_s(a, b);
      default: throw new Error(`wasm compiler: no jump case for opcode 0x${inst.opcode.toString(16)}`);
    }
  }

  // --- memory ----------------------------------------------------------------------------------

  /**
   * Code that leaves the access's address in TP (i32): checked against the region table when the
   * verifier did not prove it (faulting as the interpreter does), and recorded as the stack's
   * low-water mark when it is a store that may reach the stack.
   */
  private address(slot: number, base: number, offset: number, size: number, write: boolean): X {
    const m = this.m;
    const code: X[] = [];
    if (this.mb.checked(slot)) {
      code.push(m.local.set(TA, m.i64.add(this.get(base), i64c(m, offset))));
      code.push(m.if(m.i32.eqz(this.mb.inRegions(() => m.local.get(TA, i64), size, write)), this.fault(FaultCode.MEMORY, slot, m.local.get(TA, i64), size)));
      code.push(m.local.set(TP, m.i32.wrap(m.local.get(TA, i64))));
    } else {
      code.push(m.local.set(TP, m.i32.add(m.i32.wrap(this.get(base)), m.i32.const(offset))));
    }
    if (write && !this.isQuietStore(slot)) {
      code.push(m.if(m.i32.lt_u(m.local.get(TP, i32), m.i32.load(0, 4, m.i32.const(CTRL_STACK_LOW))), m.i32.store(0, 4, m.i32.const(CTRL_STACK_LOW), m.local.get(TP, i32))));
    }
    return m.block(null, code);
  }

  private load(slot: number, inst: RawInstruction, width: number, signed: boolean): X {
    const m = this.m;
    const p = () => m.local.get(TP, i32);
    let v: X;
    if (width === 1) v = signed ? m.i64.load8_s(0, 1, p()) : m.i64.load8_u(0, 1, p());
    else if (width === 2) v = signed ? m.i64.load16_s(0, 1, p()) : m.i64.load16_u(0, 1, p());
    else if (width === 4) v = signed ? m.i64.load32_s(0, 1, p()) : m.i64.load32_u(0, 1, p());
    else v = m.i64.load(0, 1, p());
    return m.block(null, [this.address(slot, inst.src, inst.offset, width, false), this.set(inst.dst, v)]);
  }

  private store(slot: number, inst: RawInstruction, width: number, value: X): X {
    const m = this.m;
    const p = m.local.get(TP, i32);
    const s = width === 1 ? m.i64.store8(0, 1, p, value) : width === 2 ? m.i64.store16(0, 1, p, value) : width === 4 ? m.i64.store32(0, 1, p, value) : m.i64.store(0, 1, p, value);
    return m.block(null, [this.address(slot, inst.dst, inst.offset, width, true), s]);
  }

  private atomic(slot: number, inst: RawInstruction, width: number): X {
    const m = this.m;
    const p = () => m.local.get(TP, i32);
    const old = () => m.local.get(TO, i64);
    const wide = width === 8;
    const src = () => this.get(inst.src);
    const load = () => (wide ? m.i64.load(0, 1, p()) : m.i64.load32_u(0, 1, p()));
    const put = (v: X) => (wide ? m.i64.store(0, 1, p(), v) : m.i64.store32(0, 1, p(), v));
    const code: X[] = [this.address(slot, inst.dst, inst.offset, width, true), m.local.set(TO, load())];
    const op = inst.imm;
    if (op === AtomicOp.CMPXCHG) {
      const r0 = wide ? this.get(0) : m.i64.extend_u(this.lo(0));
      code.push(m.if(m.i64.eq(old(), r0), put(src())));
      code.push(this.set(0, old()));
      return m.block(null, code);
    }
    switch (op & ~AtomicOp.FETCH) {
      case AtomicOp.ADD: code.push(put(m.i64.add(old(), src()))); break;
      case AtomicOp.OR: code.push(put(m.i64.or(old(), src()))); break;
      case AtomicOp.AND: code.push(put(m.i64.and(old(), src()))); break;
      case AtomicOp.XOR: code.push(put(m.i64.xor(old(), src()))); break;
      case AtomicOp.XCHG & ~AtomicOp.FETCH: code.push(put(src())); break;
      default: throw new Error(`wasm compiler: no atomic case for imm 0x${op.toString(16)}`);
    }
    if (op & AtomicOp.FETCH) code.push(this.set(inst.src, old()));
    return m.block(null, code);
  }

  /** Legacy `ldabs`/`ldind`: r0 = bytes of the packet region at the offset, in network order. */
  private packetLoad(slot: number, inst: RawInstruction, width: number): X {
    const m = this.m;
    const packet = this.mb.packetRegion;
    if (!packet || packet.size < width) return this.fault(FaultCode.MEMORY, slot, null, width);
    const offset = modeOf(inst.opcode) === Mode.IND ? m.i64.add(this.get(inst.src), i64c(m, inst.imm)) : i64c(m, inst.imm);
    const p = () => m.i32.add(m.i32.wrap(m.local.get(TA, i64)), m.i32.const(packet.address));
    let v: X;
    if (width === 1) v = m.i64.load8_u(0, 1, p());
    else if (width === 2) v = m.i64.extend_u(m.call('bswap16', [m.i32.load16_u(0, 1, p())], i32));
    else if (width === 4) v = m.i64.extend_u(m.call('bswap32', [m.i32.load(0, 1, p())], i32));
    else v = m.call('bswap64', [m.i64.load(0, 1, p())], i64);
    return m.block(null, [
      m.local.set(TA, offset),
      m.if(m.i64.gt_u(m.local.get(TA, i64), i64c(m, packet.size - width)), this.fault(FaultCode.MEMORY, slot, null, width)),
      this.set(0, v),
    ]);
  }

  // --- calls -----------------------------------------------------------------------------------

  private helperCall(slot: number, id: X): X {
    const m = this.m;
    const code: X[] = [];
    for (let r = 1; r <= 5; r++) code.push(m.i64.store((r - 1) * 8, 8, m.i32.const(HELPER_ARGS), this.get(r)));
    code.push(m.global.set('rem', m.local.get(REM, i32)));
    code.push(m.local.set(TP, m.call('helper', [id, m.i32.const(slot)], i32)));
    code.push(m.if(m.local.get(TP, i32), m.if(
      m.i32.eq(m.local.get(TP, i32), m.i32.const(HelperStatus.STOP)),
      m.block(null, [m.global.set('state', m.i32.const(RunState.STOPPED)), this.leave(m.i64.load(0, 8, m.i32.const(HELPER_RESULT)))]),
      this.fault(FaultCode.HOST, slot, null, null),
    )));
    code.push(this.set(0, m.i64.load(0, 8, m.i32.const(HELPER_RESULT))));
    return m.block(null, code);
  }

  /** bpf_skb_load_bytes(ctx, offset, to, length), compiled in (see CompileOptions.intrinsics). */
  private skbLoadBytes(slot: number): X {
    const m = this.m;
    return m.block(null, [
      m.global.set('rem', m.local.get(REM, i32)),
      this.set(0, m.call('skb_load_bytes', [this.get(2), this.get(3), this.get(4), m.i32.const(slot)], i64)),
      m.if(m.global.get('state', i32), this.leave()),
    ]);
  }

  /** get_src_ip_status: the status cache answers when it can, else the host as for any helper. */
  private srcIpStatus(slot: number): X {
    const m = this.m;
    return m.block(null, [
      m.local.set(TB, m.call('src_ip_status', [this.get(1), this.get(2), this.get(3), this.get(4)], i64)),
      m.if(m.i64.eq(m.local.get(TB, i64), i64c(m, STATUS_ASK_HOST)), this.helperCall(slot, m.i32.const(this.mb.srcIpStatus!.helper)), this.set(0, m.local.get(TB, i64))),
    ]);
  }

  private callx(slot: number, inst: RawInstruction): X {
    const m = this.m;
    // Only a register holding a 32-bit helper number names a helper.
    return m.block(null, [
      m.if(m.i64.ne(this.get(inst.dst), m.i64.extend_s(this.lo(inst.dst))), this.fault(FaultCode.UNKNOWN_HELPER, slot, null, null)),
      this.helperCall(slot, this.lo(inst.dst)),
    ]);
  }

  private localCall(slot: number): X {
    const m = this.m;
    const target = this.program.targets.get(slot)!;
    const args = [m.i32.add(m.local.get(DEPTH, i32), m.i32.const(1))];
    for (let r = 0; r <= 9; r++) args.push(this.get(r));
    const code: X[] = [
      m.if(m.i32.ge_u(m.i32.add(m.local.get(DEPTH, i32), m.i32.const(1)), m.i32.const(MAX_CALL_DEPTH)), this.fault(FaultCode.CALL_DEPTH, slot, null, null)),
      m.global.set('rem', m.local.get(REM, i32)),
      m.local.set(TB, m.call(fnName(target), args, i64)),
      m.local.set(REM, m.global.get('rem', i32)),
      m.if(m.global.get('state', i32), m.return(m.local.get(TB, i64))),
      this.set(0, m.local.get(TB, i64)),
    ];
    // r1-r5 are what the callee left in them (the interpreter shares one register file).
    for (let r = 1; r <= 5; r++) code.push(this.set(r, m.global.get(`c${r}`, i64)));
    return m.block(null, code);
  }

  private exit(): X {
    const m = this.m;
    const code: X[] = [];
    if (this.mb.local) for (let r = 1; r <= 5; r++) code.push(m.global.set(`c${r}`, this.get(r)));
    code.push(m.global.set('rem', m.local.get(REM, i32)));
    code.push(m.return(this.get(0)));
    return m.block(null, code);
  }
}

/** An i64 constant from a JS integer (negative ones as their two's complement). */
function i64c(m: binaryen.Module, n: number): X {
  return m.i64.const(BigInt.asIntN(64, BigInt(n)));
}

/** An i64 constant from its 32-bit halves. */
function i64k(m: binaryen.Module, lo: number, hi: number): X {
  return m.i64.const(BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)));
}
