/**
 * Worker thread entry: solves challenges off the game's main thread and reports progress at a
 * bounded rate. One solve at a time; the SDK terminates the worker to cancel.
 */
import { parentPort } from 'node:worker_threads';
import { Solver } from '@flowshield/puzzle';
import type { FromWorker, ToWorker } from './solver-messages.js';

const STEP = 4096; // hashes between clock reads (~2-3 ms in JS)

parentPort!.on('message', (msg: ToWorker) => {
  if (msg.type !== 'solve') return;
  const post = (m: FromWorker) => parentPort!.postMessage(m);
  try {
    const started = performance.now();
    const solver = new Solver(msg.challenge);
    let lastReport = started;
    while (!solver.step(STEP)) {
      const now = performance.now();
      if (now - lastReport >= msg.progressIntervalMs) {
        lastReport = now;
        post({ type: 'progress', id: msg.id, progress: solver.progress() });
      }
    }
    post({ type: 'progress', id: msg.id, progress: solver.progress() });
    post({ type: 'solved', id: msg.id, solutions: solver.solutions, tries: solver.progress().tries, ms: performance.now() - started });
  } catch (err) {
    post({ type: 'failed', id: msg.id, message: err instanceof Error ? err.message : String(err) });
  }
});
