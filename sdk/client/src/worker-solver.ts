import { Worker } from 'node:worker_threads';
import { Solver, type SolveProgress } from '@flowshield/puzzle';
import { ClientError, ClientErrorCode } from './errors.js';
import type { FromWorker } from './solver-messages.js';

export interface SolveResult {
  solutions: Uint32Array;
  tries: number;
  /** Time spent solving, in milliseconds. */
  ms: number;
}

/** Solves challenges; `WorkerSolver` off the main thread, `InlineSolver` on it (tests, tools). */
export interface ChallengeSolver {
  solve(challenge: Uint8Array, onProgress: (p: SolveProgress) => void): Promise<SolveResult>;
  close(): Promise<void>;
}

/**
 * Runs the solver in a worker_threads Worker, so the game loop keeps running while a challenge is
 * solved. The worker is started on first use and kept for later challenges; it does not keep the
 * process alive while idle.
 */
export class WorkerSolver implements ChallengeSolver {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (r: SolveResult) => void; reject: (e: Error) => void; onProgress: (p: SolveProgress) => void }>();

  constructor(private readonly progressIntervalMs = 50) {}

  /** Starts the worker ahead of the first challenge (thread start-up is tens of milliseconds). */
  warm(): void {
    this.start();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./solver-worker.js', import.meta.url));
    worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') { p.onProgress(m.progress); return; }
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.type === 'solved') p.resolve({ solutions: m.solutions, tries: m.tries, ms: m.ms });
      else p.reject(new ClientError(ClientErrorCode.SOLVE_FAILED, m.message));
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', () => {
      this.worker = null;
      this.failAll(new ClientError(ClientErrorCode.CLOSED, 'solver worker exited'));
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err instanceof ClientError ? err : new ClientError(ClientErrorCode.SOLVE_FAILED, err.message, { cause: err }));
    this.pending.clear();
  }

  solve(challenge: Uint8Array, onProgress: (p: SolveProgress) => void): Promise<SolveResult> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      worker.ref(); // a solve in flight keeps the process alive
      worker.postMessage({ type: 'solve', id, challenge, progressIntervalMs: this.progressIntervalMs });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}

/** Solves on the calling thread in slices, yielding between them (for environments without workers). */
export class InlineSolver implements ChallengeSolver {
  async solve(challenge: Uint8Array, onProgress: (p: SolveProgress) => void): Promise<SolveResult> {
    const started = performance.now();
    const solver = new Solver(challenge);
    while (!solver.step(2048)) {
      onProgress(solver.progress());
      await new Promise((r) => setImmediate(r));
    }
    onProgress(solver.progress());
    return { solutions: solver.solutions, tries: solver.progress().tries, ms: performance.now() - started };
  }

  async close(): Promise<void> {}
}
