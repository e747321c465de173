import type { BufferChecks } from '../helpers.js';

/** What the verifier proves about an accepted program, for the engines and `flowshield verify`. */
export interface VerifiedProgram {
  /** instruction slots */
  instructionCount: number;
  /** helper numbers called (sorted) */
  helpersUsed: number[];
  /**
   * Memory instructions (slot index) whose bounds the verifier could not prove: the wasm
   * compiler emits a bounds check for them (the interpreter checks every access anyway).
   */
  runtimeChecks: ReadonlySet<number>;
  /**
   * Helper calls (slot index) passed a buffer whose length has no proven upper bound: both
   * engines check those buffers lie in mapped memory before the call (a memory fault if not).
   */
  bufferChecks: BufferChecks;
  /** deepest stack use of any frame, bytes */
  maxStackDepth: number;
  /** deepest call chain, frames including the entry function */
  maxCallDepth: number;
}
