import { VmErrorCode, VmLoadError } from '../errors.js';
import type { DecodedProgram } from '../isa/decode.js';
import { Source, sourceOf } from '../isa/opcodes.js';
import type { Thresholds } from './domains/scalar.js';
import type { Platform } from '../platform/types.js';
import { assertionsFor, type Assertion } from './assertions.js';
import { buildCfg, nextSlot, type BasicBlock, type ControlFlowGraph } from './cfg.js';
import { checkAssertion } from './check.js';
import { VerifierContext } from './context.js';
import { State } from './domains/state.js';
import { UNKNOWN_SCALAR, exact, regionPointer } from './domains/value.js';
import { enterCall, refineBranch, returnFromCall, transfer } from './transfer.js';
import type { VerifiedProgram } from './types.js';

/** Largest program the verifier accepts, in instruction slots. */
export const MAX_VERIFIED_SLOTS = 65_536;
/** Instructions the walk may analyse in all before it gives up ("program too complex"). */
export const MAX_ANALYSED_INSTRUCTIONS = 1_000_000;
/** Visits of a loop head after which growing bounds are widened to infinity. */
const WIDEN_AFTER = 3;

export interface VerifyOptions {
  maxSlots?: number;
  maxAnalysedInstructions?: number;
  /**
   * Start with r1 pointing at this region instead of at the context, and r2–r5 holding unknown
   * scalars: how bpf_conformance passes its memory (r1) and length (r2).
   */
  entryRegion?: string;
}

interface Point {
  /** the call sites leading here, outermost first ('' for the entry function) */
  chain: string;
  block: number;
}

interface Stored {
  state: State;
  visits: number;
  queued: boolean;
}

/**
 * Proves a decoded program safe for a platform, or throws a `VerifierError` naming the first
 * instruction that is not. The walk only orders work: check each instruction's assertions,
 * apply its transfer, and join the result into the successor blocks until nothing changes.
 * Local calls are analysed per call chain with a fresh frame, so a callee sees its caller's
 * actual arguments.
 */
export function verify(program: DecodedProgram, platform: Platform, options: VerifyOptions = {}): VerifiedProgram {
  const maxSlots = options.maxSlots ?? MAX_VERIFIED_SLOTS;
  if (program.slots.length > maxSlots) {
    throw new VmLoadError(VmErrorCode.PROGRAM_TOO_LARGE, `program has ${program.slots.length} instructions, the verifier's limit is ${maxSlots}`);
  }
  const ctx = new VerifierContext(program, platform);
  const cfg = buildCfg(program);
  rejectLoopsWithoutBudget(ctx, cfg);
  new Walk(ctx, cfg, options.maxAnalysedInstructions ?? MAX_ANALYSED_INSTRUCTIONS).run(entryState(ctx, options.entryRegion));
  return {
    instructionCount: program.slots.length,
    helpersUsed: [...ctx.helpersUsed].sort((a, b) => a - b),
    runtimeChecks: ctx.runtimeChecks,
    bufferChecks: ctx.bufferChecks,
    maxStackDepth: ctx.maxStackDepth,
    maxCallDepth: ctx.maxCallDepth,
  };
}

function entryState(ctx: VerifierContext, entryRegion: string | undefined): State {
  if (entryRegion === undefined) return State.entry({ t: 'ctx', off: exact(0) });
  if (!ctx.regions.has(entryRegion)) throw new Error(`verify: entry region ${entryRegion} is not a region of the platform`);
  const state = State.entry(regionPointer(entryRegion, 0));
  for (let r = 2; r <= 5; r++) state.regs[r] = UNKNOWN_SCALAR;
  return state;
}

function rejectLoopsWithoutBudget(ctx: VerifierContext, cfg: ControlFlowGraph): void {
  if (ctx.platform.budget !== null || cfg.backEdges.size === 0) return;
  const [from, to] = [...cfg.backEdges].sort((a, b) => a[0] - b[0])[0]!;
  ctx.fail(VmErrorCode.INFINITE_LOOP, from, `jump back to instruction ${to} forms a loop, and the ${ctx.platform.name} program type has no instruction budget (infinite loop without budget)`);
}

class Walk {
  private readonly states = new Map<string, Stored>();
  private readonly queue: Point[] = [];
  private head = 0;
  private readonly assertions: (Assertion[] | undefined)[];
  private analysed = 0;
  private readonly thresholds: Thresholds;

  constructor(
    private readonly ctx: VerifierContext,
    private readonly cfg: ControlFlowGraph,
    private readonly limit: number,
  ) {
    this.assertions = new Array(ctx.program.slots.length);
    this.thresholds = comparedConstants(ctx.program);
  }

  run(entry: State): void {
    this.propagate({ chain: '', block: 0 }, entry);
    while (this.head < this.queue.length) {
      const point = this.queue[this.head++]!;
      const stored = this.states.get(key(point))!;
      stored.queued = false;
      this.analyse(point, this.cfg.blocks.get(point.block)!, stored.state.clone());
    }
  }

  private analyse(point: Point, block: BasicBlock, state: State): void {
    const { ctx } = this;
    ctx.maxCallDepth = Math.max(ctx.maxCallDepth, state.frames.length);
    for (let i = block.start; i <= block.last; i += ctx.program.infos[i]!.kind === 'lddw' ? 2 : 1) {
      if (++this.analysed > this.limit) {
        ctx.fail(VmErrorCode.TOO_COMPLEX, i, `program too complex: the verifier analysed ${this.limit} instructions without reaching a conclusion (simplify loops and branches)`);
      }
      for (const assertion of (this.assertions[i] ??= assertionsFor(ctx.program, i))) checkAssertion(ctx, state, i, assertion);
      transfer(ctx, state, i);
    }
    const last = block.last;
    const kind = ctx.program.infos[last]!.kind;
    if (kind === 'exit') {
      if (point.chain === '') return;
      const cut = point.chain.lastIndexOf(',');
      const callSite = Number(point.chain.slice(cut + 1));
      const returnBlock = nextSlot(ctx.program, callSite);
      this.propagate({ chain: cut < 0 ? '' : point.chain.slice(0, cut), block: returnBlock }, returnFromCall(state));
      return;
    }
    if (block.callee !== null) {
      const chain = point.chain === '' ? String(last) : `${point.chain},${last}`;
      this.propagate({ chain, block: block.callee }, enterCall(state, last));
      return;
    }
    if (kind === 'jcond') {
      const [fallthrough, target] = block.successors;
      if (target === undefined) {
        this.propagate({ chain: point.chain, block: fallthrough! }, state);
        return;
      }
      const notTaken = refineBranch(ctx, state.clone(), last, false);
      const taken = refineBranch(ctx, state, last, true);
      if (notTaken) this.propagate({ chain: point.chain, block: fallthrough! }, notTaken);
      if (taken) this.propagate({ chain: point.chain, block: target }, taken);
      return;
    }
    for (const next of block.successors) this.propagate({ chain: point.chain, block: next }, state);
  }

  private propagate(point: Point, state: State): void {
    const k = key(point);
    const stored = this.states.get(k);
    if (!stored) {
      this.states.set(k, { state, visits: 1, queued: true });
      this.queue.push(point);
      return;
    }
    stored.visits++;
    const widening = this.cfg.loopHeads.has(point.block) && stored.visits > WIDEN_AFTER ? this.thresholds : null;
    const merged = stored.state.join(state, widening);
    if (merged.equals(stored.state)) return;
    stored.state = merged;
    if (!stored.queued) {
      stored.queued = true;
      this.queue.push(point);
    }
  }
}

/** Every immediate a conditional jump compares with, its neighbours and 0: the widening thresholds. */
function comparedConstants(program: DecodedProgram): Thresholds {
  const values = new Set<bigint>([0n]);
  program.infos.forEach((info, i) => {
    const inst = program.slots[i]!;
    if (info?.kind !== 'jcond' || sourceOf(inst.opcode) !== Source.K) return;
    const imm = BigInt(inst.imm);
    for (const v of info.is64 ? [imm] : [imm, BigInt(inst.imm >>> 0)]) for (const d of [-1n, 0n, 1n]) values.add(v + d);
  });
  const sorted = (list: bigint[]) => [...new Set(list)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    unsigned: sorted([...values].map((v) => BigInt.asUintN(64, v))),
    signed: sorted([...values].map((v) => BigInt.asIntN(64, v))),
  };
}

const key = (point: Point): string => `${point.chain}|${point.block}`;
