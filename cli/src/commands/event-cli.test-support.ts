/** Shared by the event-path CLI tests: runs `flowshield` in-process with extra environment. */
import { runCli as runInProcess, type CliResult } from '../testing/run-cli.js';

export type CliRun = CliResult;

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runInProcess(args, { env });
}

export function jsonOf(run: CliRun): Record<string, unknown> {
  if (run.code !== 0) throw new Error(`flowshield exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
}
