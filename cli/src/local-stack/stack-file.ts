import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from '../errors.js';
import { io } from '../io.js';

/**
 * `DIR/stack.json`, written by `flowshield start` once everything is ready (DESIGN.md section 12):
 * where NATS is, the edges, the replicas and each role's credentials file. Every CLI verb that
 * needs NATS reads it when no flag or environment variable names a server.
 */
export interface StackFile {
  nats: string;
  edges: { id: string; region: string; listen: string; metrics: string }[];
  replicas: { region: string; db: string }[];
  /** Absolute paths of the nkey seed (or `.creds`) files; null when `start` used a given server without credentials. */
  credentials: { operator: string | null; edge: string | null; state: string | null; challenge: string | null };
}

export const STACK_FILE = 'stack.json';

/** The data folder: `--data-dir`, else FLOWSHIELD_DATA_DIR, else `.data` under the current folder. */
export function dataDir(flag?: string): string {
  return resolve(io().cwd, flag || io().env.FLOWSHIELD_DATA_DIR || '.data');
}

/** Written whole into a temporary file, then renamed: a reader never sees half a file. Mode 0600. */
export function writeStackFile(dir: string, stack: StackFile): string {
  const path = join(dir, STACK_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
  return path;
}

export function removeStackFile(dir: string): void {
  rmSync(join(dir, STACK_FILE), { force: true });
}

/** The stack file of `dir`, or null when there is none; a file that is not one is an error. */
export function readStackFile(dir: string): { path: string; stack: StackFile } | null {
  const path = join(dir, STACK_FILE);
  if (!existsSync(path)) return null;
  let stack: StackFile;
  try {
    stack = JSON.parse(readFileSync(path, 'utf8')) as StackFile;
  } catch (cause) {
    throw new CliError('FS_ERR_CLI_BAD_STACK_FILE', `${path} is not a stack file: ${(cause as Error).message}`, { cause });
  }
  if (typeof stack?.nats !== 'string') throw new CliError('FS_ERR_CLI_BAD_STACK_FILE', `${path} names no NATS server ("nats")`);
  return { path, stack };
}
