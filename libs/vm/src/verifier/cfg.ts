import type { DecodedProgram } from '../isa/decode.js';
import { CallKind } from '../isa/opcodes.js';

/*
 * The control-flow graph of a decoded program: basic blocks, the functions that local calls
 * enter, and the back edges (a jump to a block still open on a depth-first walk) whose targets
 * are loop heads. A local call ends its block; the block after it is where the callee returns.
 */

export interface BasicBlock {
  /** first slot */
  start: number;
  /** slot of the last instruction (the first slot of an lddw) */
  last: number;
  /** starts of the blocks control reaches next within the function */
  successors: number[];
  /** start of the function a local call at `last` enters */
  callee: number | null;
}

export interface ControlFlowGraph {
  blocks: ReadonlyMap<number, BasicBlock>;
  /** entry (slot 0) and every local-call target, ascending */
  functions: readonly number[];
  /** jump slot → loop head slot, for each back edge */
  backEdges: ReadonlyMap<number, number>;
  loopHeads: ReadonlySet<number>;
}

export function nextSlot(program: DecodedProgram, i: number): number {
  return i + (program.infos[i]?.kind === 'lddw' ? 2 : 1);
}

const isLocalCall = (program: DecodedProgram, i: number): boolean =>
  program.infos[i]?.kind === 'call' && program.slots[i]!.src === CallKind.LOCAL;

export function buildCfg(program: DecodedProgram): ControlFlowGraph {
  const count = program.slots.length;
  const leaders = new Set<number>([0]);
  const functions = new Set<number>([0]);
  for (let i = 0; i < count; i = nextSlot(program, i)) {
    const kind = program.infos[i]!.kind;
    const target = program.targets.get(i);
    if (target !== undefined) leaders.add(target);
    if (isLocalCall(program, i)) functions.add(target!);
    if (kind === 'jcond' || kind === 'ja' || kind === 'ja32' || kind === 'exit' || isLocalCall(program, i)) {
      const next = nextSlot(program, i);
      if (next < count) leaders.add(next);
    }
  }

  const blocks = new Map<number, BasicBlock>();
  const starts = [...leaders].sort((a, b) => a - b);
  for (const start of starts) {
    let last = start;
    for (let next = nextSlot(program, last); next < count && !leaders.has(next) && !endsBlock(program, last); next = nextSlot(program, last)) {
      last = next;
    }
    blocks.set(start, { start, last, ...exits(program, last) });
  }

  const loopHeads = new Set<number>();
  const backEdges = findBackEdges(blocks, [...functions], loopHeads);
  return { blocks, functions: [...functions].sort((a, b) => a - b), backEdges, loopHeads };
}

function endsBlock(program: DecodedProgram, i: number): boolean {
  const kind = program.infos[i]!.kind;
  return kind === 'jcond' || kind === 'ja' || kind === 'ja32' || kind === 'exit' || isLocalCall(program, i);
}

function exits(program: DecodedProgram, last: number): { successors: number[]; callee: number | null } {
  const kind = program.infos[last]!.kind;
  const next = nextSlot(program, last);
  const target = program.targets.get(last);
  switch (kind) {
    case 'exit': return { successors: [], callee: null };
    case 'ja': case 'ja32': return { successors: [target!], callee: null };
    case 'jcond': return { successors: next === target ? [next] : [next, target!], callee: null };
    default:
      return isLocalCall(program, last) ? { successors: [next], callee: target! } : { successors: [next], callee: null };
  }
}

/** Depth-first from every function entry; an edge into a block on the current path is a back edge. */
function findBackEdges(blocks: ReadonlyMap<number, BasicBlock>, entries: number[], loopHeads: Set<number>): Map<number, number> {
  const backEdges = new Map<number, number>();
  const done = new Set<number>();
  for (const entry of entries) {
    if (done.has(entry)) continue;
    const onPath = new Set<number>([entry]);
    const stack: { block: BasicBlock; next: number }[] = [{ block: blocks.get(entry)!, next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.block.successors.length) {
        stack.pop();
        onPath.delete(top.block.start);
        done.add(top.block.start);
        continue;
      }
      const succ = top.block.successors[top.next++]!;
      if (onPath.has(succ)) {
        backEdges.set(top.block.last, succ);
        loopHeads.add(succ);
      }
      else if (!done.has(succ)) {
        onPath.add(succ);
        stack.push({ block: blocks.get(succ)!, next: 0 });
      }
    }
  }
  return backEdges;
}
