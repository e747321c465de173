import type { SolveProgress } from '@flowshield/puzzle';

/** Messages between the SDK and its solver worker. */
export type ToWorker = { type: 'solve'; id: number; challenge: Uint8Array; progressIntervalMs: number };
export type FromWorker =
  | { type: 'progress'; id: number; progress: SolveProgress }
  | { type: 'solved'; id: number; solutions: Uint32Array; tries: number; ms: number }
  | { type: 'failed'; id: number; message: string };
