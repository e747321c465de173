import { Relations } from './relations.js';
import type { Thresholds } from './scalar.js';
import { StackFrame } from './stack.js';
import { UNINIT, joinValues, valueEquals, type Value } from './value.js';

/*
 * The abstract state at one point of one call chain: the current function's registers, every
 * live frame (entry function first), which packet bases are proven long enough, and what is
 * known of the differences between pointer bases.
 */
export class State {
  constructor(
    readonly regs: Value[],
    readonly frames: StackFrame[],
    /** Packet base id → bytes from that base proven to lie before the packet's end. */
    readonly proven: Map<number, number>,
    readonly relations: Relations = new Relations(),
  ) {}

  static entry(r1: Value): State {
    const regs: Value[] = new Array(11).fill(UNINIT);
    regs[1] = r1;
    regs[10] = { t: 'stack', frame: 0, off: { lo: 0, hi: 0 } };
    return new State(regs, [new StackFrame()], new Map());
  }

  get depth(): number {
    return this.frames.length - 1;
  }

  get frame(): StackFrame {
    return this.frames[this.frames.length - 1]!;
  }

  clone(): State {
    return new State(this.regs.slice(), this.frames.map((f) => f.clone()), new Map(this.proven), this.relations.clone());
  }

  /** Applies `f` to every value the state holds: registers, spills, saved caller registers. */
  mapValues(f: (v: Value) => Value): void {
    for (let r = 0; r < this.regs.length; r++) this.regs[r] = f(this.regs[r]!);
    for (const frame of this.frames) frame.mapValues(f);
  }

  provenBytes(id: number): number {
    return this.proven.get(id) ?? 0;
  }

  prove(id: number, bytes: number): void {
    if (bytes > this.provenBytes(id)) this.proven.set(id, bytes);
  }

  /** Both states are at the same point of the same call chain, so their frames line up. */
  join(other: State, widening: Thresholds | null): State {
    const regs = this.regs.map((v, r) => joinValues(v, other.regs[r]!, widening));
    const frames = this.frames.map((f, i) => f.join(other.frames[i]!, widening));
    const proven = new Map<number, number>();
    for (const [id, bytes] of this.proven) {
      const o = other.proven.get(id);
      if (o === undefined) continue;
      const min = Math.min(bytes, o);
      if (widening && min < bytes) continue;
      if (min > 0) proven.set(id, min);
    }
    return new State(regs, frames, proven, this.relations.join(other.relations, widening !== null));
  }

  equals(other: State): boolean {
    if (this.proven.size !== other.proven.size || !this.relations.equals(other.relations)) return false;
    for (const [id, bytes] of this.proven) if (other.proven.get(id) !== bytes) return false;
    return this.regs.every((v, r) => valueEquals(v, other.regs[r]!)) && this.frames.every((f, i) => f.equals(other.frames[i]!));
  }
}
