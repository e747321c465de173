import { AsyncLocalStorage } from 'node:async_hooks';

/*
 * Where a `flowshield` run writes and what it reads of its surroundings: the process's own
 * streams, environment and folder when run as a command, or a test's buffers when `run` is called
 * in-process. Commands reach it through `io()`, never through `process.stdout`/`env`/`cwd`.
 */

export interface CliOutput {
  write(text: string): unknown;
  /** true on a terminal: progress is drawn only there */
  isTTY?: boolean;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const current = new AsyncLocalStorage<CliIo>();

export function io(): CliIo {
  return current.getStore() ?? { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function withIo<T>(value: CliIo, fn: () => T): T {
  return current.run(value, fn);
}
