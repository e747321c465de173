import { STACK_FRAME_BYTES } from '../../memory.js';
import type { Thresholds } from './scalar.js';
import { joinValues, valueEquals, type Value } from './value.js';

/*
 * One function's 512-byte stack frame: which bytes are initialised, and what each 8-byte aligned
 * slot holds when a whole register was spilled there (so a pointer filled back keeps its kind).
 * Byte i of the arrays is the byte at r10 - 512 + i.
 */

const SLOTS = STACK_FRAME_BYTES / 8;

export class StackFrame {
  constructor(
    readonly init: Uint8Array = new Uint8Array(STACK_FRAME_BYTES),
    readonly spills: (Value | undefined)[] = new Array(SLOTS).fill(undefined),
    /** The caller's r6–r9 at the call that created this frame (null for the entry function). */
    readonly callerRegs: Value[] | null = null,
    /** Slot of the `call` that created this frame (-1 for the entry function). */
    readonly callSite = -1,
  ) {}

  clone(): StackFrame {
    return new StackFrame(this.init.slice(), this.spills.slice(), this.callerRegs?.slice() ?? null, this.callSite);
  }

  /** Whether bytes [from, to) (frame offsets, negative) are all initialised. */
  isInitialised(from: number, to: number): boolean {
    for (let i = from + STACK_FRAME_BYTES; i < to + STACK_FRAME_BYTES; i++) if (!this.init[i]) return false;
    return true;
  }

  /** Bytes [from, to) now hold plain data: initialised, and no longer a spilled register. */
  writeBytes(from: number, to: number): void {
    this.forget(from, to);
    this.init.fill(1, from + STACK_FRAME_BYTES, to + STACK_FRAME_BYTES);
  }

  /** Bytes [from, to) may have changed: spills overlapping them are lost (initialisation is kept). */
  forget(from: number, to: number): void {
    const first = Math.max(0, Math.floor((from + STACK_FRAME_BYTES) / 8));
    const last = Math.min(SLOTS - 1, Math.floor((to - 1 + STACK_FRAME_BYTES) / 8));
    for (let s = first; s <= last; s++) this.spills[s] = undefined;
  }

  /** A whole register stored at 8-byte aligned `offset`. */
  spill(offset: number, value: Value): void {
    this.writeBytes(offset, offset + 8);
    this.spills[(offset + STACK_FRAME_BYTES) / 8] = value;
  }

  /** The register spilled at 8-byte aligned `offset`, if the slot still holds one. */
  filled(offset: number): Value | undefined {
    return this.spills[(offset + STACK_FRAME_BYTES) / 8];
  }

  /** Replaces spilled values (used when a null check or a new id changes what they mean). */
  mapValues(f: (v: Value) => Value): void {
    for (let s = 0; s < SLOTS; s++) {
      const v = this.spills[s];
      if (v) this.spills[s] = f(v);
    }
    if (this.callerRegs) for (let r = 0; r < this.callerRegs.length; r++) this.callerRegs[r] = f(this.callerRegs[r]!);
  }

  /** Lowest initialised offset, for the reported stack depth (0 when none). */
  depth(): number {
    const first = this.init.indexOf(1);
    return first < 0 ? 0 : STACK_FRAME_BYTES - first;
  }

  join(other: StackFrame, widening: Thresholds | null): StackFrame {
    const init = new Uint8Array(STACK_FRAME_BYTES);
    for (let i = 0; i < STACK_FRAME_BYTES; i++) init[i] = this.init[i]! & other.init[i]!;
    const spills = this.spills.map((v, s) => {
      const o = other.spills[s];
      if (!v || !o) return undefined;
      const j = joinValues(v, o, widening);
      return j.t === 'uninit' ? undefined : j;
    });
    const callerRegs = this.callerRegs && other.callerRegs
      ? this.callerRegs.map((v, i) => joinValues(v, other.callerRegs![i]!, widening))
      : this.callerRegs;
    return new StackFrame(init, spills, callerRegs, this.callSite);
  }

  equals(other: StackFrame): boolean {
    for (let i = 0; i < STACK_FRAME_BYTES; i++) if (this.init[i] !== other.init[i]) return false;
    for (let s = 0; s < SLOTS; s++) {
      const a = this.spills[s];
      const b = other.spills[s];
      if (a === b) continue;
      if (!a || !b || !valueEquals(a, b)) return false;
    }
    if (this.callerRegs && other.callerRegs) return this.callerRegs.every((v, i) => valueEquals(v, other.callerRegs![i]!));
    return this.callerRegs === other.callerRegs;
  }
}
