import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../main.js';

export const CLI = fileURLToPath(new URL('../../bin/flowshield.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  cwd?: string;
}

/**
 * Runs `flowshield ARGS` in this process (the same `run` the command's bin calls), with its own
 * output buffers, environment (this process's plus `env`) and folder: behaviour tests pay no
 * Node start-up per invocation, which on a loaded machine costs seconds.
 */
export async function runCli(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  });
  return { code, stdout, stderr };
}

/** Runs `flowshield ARGS` as a separate process, as an operator or a script would (bin, exit code, pipes). */
export function runCliProcess(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, cwd: options.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export const jsonLines = (text: string): Record<string, unknown>[] => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
