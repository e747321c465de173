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

/** An object file's bytes; raw instruction bytes (asm's default output) are refused with the way to make an object. */
export function readObject(path: string): Uint8Array {
  const bytes = readInput(path);
  if (!(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)) {
    throw new CliError('FS_ERR_CLI_NOT_AN_OBJECT', `${path} is not an ELF object (raw instruction bytes? \`flowshield asm FILE.s -o FILE.o\` writes an object)`);
  }
  return bytes;
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
  const bytes = readObject(path);
  try {
    return loadProgram(bytes, { type: opts.type as ProgramTypeName | undefined, section: opts.section, budget: parseBudget(opts.budget) });
  } catch (err) {
    if (err instanceof VmLoadError) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}
