import { decodeChallenge, type ChallengeFields } from '@flowshield/proto';
import { SolveAbortedError } from './errors.js';
import { PowHasher } from './pow.js';

export interface SolveProgress {
  /** Sub-puzzles solved so far. */
  solved: number;
  subPuzzles: number;
  /** Hashes tried so far. */
  tries: number;
  /** Mean number of hashes for the whole challenge: subPuzzles · 2^difficulty. */
  expectedTries: number;
  /** Estimated progress in [0, 1]; reaches 1 only when solved. */
  fraction: number;
}

export function expectedTries(difficulty: number, subPuzzles: number): number {
  return subPuzzles * 2 ** difficulty;
}

/**
 * Searches the solutions of one challenge in steps, so a caller (the SDK's worker) can report
 * progress and stop between steps. Solutions are the smallest u32 that works for each sub-puzzle, so
 * a given challenge always yields the same answer (the test vectors rely on it).
 */
export class Solver {
  readonly fields: ChallengeFields;
  readonly solutions: Uint32Array;
  private readonly hasher = new PowHasher();
  private index = 0;
  private candidate = 0;
  private triesTotal = 0;

  constructor(challenge: Uint8Array | ChallengeFields) {
    const fields = challenge instanceof Uint8Array ? decodeChallenge(challenge) : challenge;
    if (typeof fields === 'string') throw new RangeError(`not a challenge packet (${fields})`);
    this.fields = fields;
    this.solutions = new Uint32Array(fields.subPuzzles);
    this.hasher.load(fields.tag, fields.nonce);
  }

  get done(): boolean {
    return this.index >= this.fields.subPuzzles;
  }

  /** Tries up to `budget` hashes; returns true once every sub-puzzle is solved. */
  step(budget: number): boolean {
    const { difficulty, subPuzzles } = this.fields;
    const hasher = this.hasher;
    while (budget > 0 && this.index < subPuzzles) {
      budget--;
      this.triesTotal++;
      if (hasher.check(this.index, this.candidate, difficulty)) {
        this.solutions[this.index++] = this.candidate;
        this.candidate = 0;
      } else if (this.candidate === 0xffffffff) {
        throw new SolveAbortedError('FS_ERR_PUZZLE_SOLVE_EXHAUSTED', `no solution for sub-puzzle ${this.index} in 2^32 tries`);
      } else {
        this.candidate++;
      }
    }
    return this.done;
  }

  progress(): SolveProgress {
    const { difficulty, subPuzzles } = this.fields;
    const expected = expectedTries(difficulty, subPuzzles);
    const fraction = this.done ? 1 : Math.max(this.index / subPuzzles, Math.min(0.99, this.triesTotal / expected));
    return { solved: this.index, subPuzzles, tries: this.triesTotal, expectedTries: expected, fraction };
  }
}

export interface SolveOptions {
  /** Called every `progressEveryTries` hashes (default 16,384). */
  onProgress?: (p: SolveProgress) => void;
  progressEveryTries?: number;
  /** Checked between steps; when true the solve stops with SolveAbortedError. */
  shouldStop?: () => boolean;
}

/** Solves a challenge synchronously (blocks the thread: the SDK runs it in a worker). */
export function solveChallenge(challenge: Uint8Array | ChallengeFields, options: SolveOptions = {}): Uint32Array {
  const solver = new Solver(challenge);
  const every = options.progressEveryTries ?? 16_384;
  while (!solver.step(every)) {
    if (options.shouldStop?.()) throw new SolveAbortedError('FS_ERR_PUZZLE_SOLVE_ABORTED', 'solve stopped by caller');
    options.onProgress?.(solver.progress());
  }
  options.onProgress?.(solver.progress());
  return solver.solutions;
}
