import type { DecodedProgram } from '../isa/decode.js';
import { CallKind } from '../isa/opcodes.js';

/** A run of instructions entered only at its first slot, ended by a jump, an exit or the next leader. */
export interface Block {
  start: number;
  /** instruction slots in order (the second slot of an lddw is not listed) */
  slots: number[];
  /** where control goes after the last instruction, as the compiler needs it */
  end:
    | { kind: 'exit' }
    | { kind: 'goto'; target: number }
    | { kind: 'branch'; target: number; next: number };
}

/** One bpf function: the entry (slot 0) or a local-call target, and the blocks reachable from it. */
export interface BpfFunction {
  entry: number;
  blocks: Map<number, Block>;
}

/**
 * Splits a program into functions and basic blocks. Reachability ignores calls (a call returns to
 * the next slot), so code a jump shares between two functions is simply compiled into both:
 * the interpreter has no function boundaries, and this keeps the semantics of such programs.
 */
export function functionsOf(program: DecodedProgram): BpfFunction[] {
  const entries = new Set<number>([0]);
  program.infos.forEach((info, i) => {
    if (info?.kind === 'call' && program.slots[i]!.src === CallKind.LOCAL) entries.add(program.targets.get(i)!);
  });
  return [...entries].sort((a, b) => a - b).map((entry) => ({ entry, blocks: blocksOf(program, entry) }));
}

function nextSlot(program: DecodedProgram, i: number): number {
  return program.infos[i]!.kind === 'lddw' ? i + 2 : i + 1;
}

function blocksOf(program: DecodedProgram, entry: number): Map<number, Block> {
  const { infos, targets } = program;
  // Pass 1: reachable slots and leaders.
  const reached = new Set<number>();
  const leaders = new Set<number>([entry]);
  const work = [entry];
  while (work.length) {
    let i = work.pop()!;
    while (!reached.has(i)) {
      reached.add(i);
      const kind = infos[i]!.kind;
      if (kind === 'exit') break;
      if (kind === 'ja' || kind === 'ja32') {
        const t = targets.get(i)!;
        leaders.add(t);
        work.push(t);
        break;
      }
      if (kind === 'jcond') {
        const t = targets.get(i)!;
        leaders.add(t);
        work.push(t);
        const n = nextSlot(program, i);
        leaders.add(n);
        work.push(n);
        break;
      }
      i = nextSlot(program, i);
    }
  }
  // Pass 2: one block per reachable leader.
  const blocks = new Map<number, Block>();
  for (const start of [...leaders].filter((l) => reached.has(l)).sort((a, b) => a - b)) {
    const slots: number[] = [];
    let i = start;
    let end: Block['end'];
    for (;;) {
      slots.push(i);
      const kind = infos[i]!.kind;
      if (kind === 'exit') { end = { kind: 'exit' }; break; }
      if (kind === 'ja' || kind === 'ja32') { end = { kind: 'goto', target: targets.get(i)! }; break; }
      if (kind === 'jcond') {
        const target = targets.get(i)!;
        const next = nextSlot(program, i);
        end = target === next ? { kind: 'goto', target } : { kind: 'branch', target, next };
        break;
      }
      const n = nextSlot(program, i);
      if (leaders.has(n)) { end = { kind: 'goto', target: n }; break; }
      i = n;
    }
    blocks.set(start, { start, slots, end });
  }
  return blocks;
}
