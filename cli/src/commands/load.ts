import { readFileSync } from 'node:fs';
import { loadProgram, VmLoadError, type LoadedProgram, type ProgramTypeName } from '@flowshield/vm';
import { CliError } from '../errors.js';

export const PROGRAM_TYPE_NAMES = ['cf_ebpf_generic', 'flowshield', 'xdp', 'socket'] as const;

export interface ProgramOptions {
  type?: string;
  section?: string;
  budget?: string;
}

export function readInput(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (err) {
    throw new CliError('FS_ERR_CLI_READ', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

export function parseBudget(text: string | undefined): number | null | undefined {
  if (text === undefined) return undefined;
  if (text === 'none') return null;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--budget must be a positive integer or 'none', not '${text}'`);
  return n;
}

/** Loads and verifies an object file, turning a load error into a one-line CliError. */
export function loadProgramFile(path: string, opts: ProgramOptions): LoadedProgram {
  if (opts.type !== undefined && !(PROGRAM_TYPE_NAMES as readonly string[]).includes(opts.type)) {
    throw new CliError('FS_ERR_CLI_BAD_OPTION', `--type must be one of ${PROGRAM_TYPE_NAMES.join(', ')}`);
  }
  try {
    return loadProgram(readInput(path), { type: opts.type as ProgramTypeName | undefined, section: opts.section, budget: parseBudget(opts.budget) });
  } catch (err) {
    if (err instanceof VmLoadError) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}
