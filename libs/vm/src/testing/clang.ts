import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's headers and examples, for tests that compile real C with clang. */
export const PROGRAMS_DIR = fileURLToPath(new URL('../../../../programs/', import.meta.url));
export const INCLUDE_DIR = join(PROGRAMS_DIR, 'include');
export const EXAMPLES_DIR = join(PROGRAMS_DIR, 'examples');
export const FIXTURES_DIR = join(PROGRAMS_DIR, 'test', 'fixtures');

const scratch = mkdtempSync(join(tmpdir(), 'flowshield-clang-'));
let counter = 0;

/**
 * Compiles C source (a file path, or text when `inline` is set) with clang -target bpf -O2 -g,
 * against the repository's headers unless `includeDir` names others (PFP's own, say).
 */
export function compileC(source: string, options: { inline?: boolean; mcpu?: string; defines?: string[]; includeDir?: string } = {}): Uint8Array {
  let path = source;
  if (options.inline) {
    path = join(scratch, `inline-${process.pid}-${counter++}.c`);
    writeFileSync(path, source);
  }
  const out = join(scratch, `out-${process.pid}-${counter++}.o`);
  execFileSync('clang', ['-target', 'bpf', '-O2', '-g', '-c', '-ffreestanding', `-mcpu=${options.mcpu ?? 'v3'}`, '-I', options.includeDir ?? INCLUDE_DIR, ...(options.defines ?? []).map((d) => `-D${d}`), path, '-o', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(readFileSync(out));
}
