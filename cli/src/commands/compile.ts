import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.js';
import { io } from '../io.js';

/** The headers for program authors, shipped in the repository's `programs/include`. */
export const PROGRAM_INCLUDE_DIR = fileURLToPath(new URL('../../../programs/include', import.meta.url));

export interface CompileOptions {
  output?: string;
  mcpu?: string;
  include?: string[];
  define?: string[];
}

/** clang -target bpf -O2 -g with the project's headers; returns the object's path. */
export function compileProgram(source: string, options: CompileOptions = {}): string {
  const output = options.output ?? source.replace(/\.c$/, '') + '.o';
  const args = [
    '-target', 'bpf', '-O2', '-g', '-c', '-ffreestanding', '-Wall',
    `-mcpu=${options.mcpu ?? 'v3'}`,
    '-I', PROGRAM_INCLUDE_DIR,
    ...(options.include ?? []).flatMap((dir) => ['-I', dir]),
    ...(options.define ?? []).map((d) => `-D${d}`),
    source, '-o', output,
  ];
  // clang's warnings go where this run's errors go (a test's buffer when run in-process).
  const result = spawnSync(io().env.CLANG ?? 'clang', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: io().env });
  if (result.stdout) io().stderr.write(result.stdout);
  if (result.stderr) io().stderr.write(result.stderr);
  if (result.error) throw new CliError('FS_ERR_CLI_NO_CLANG', `cannot run clang (${result.error.message}): install it (Debian: apt-get install clang)`);
  if (result.status !== 0) throw new CliError('FS_ERR_CLI_COMPILE_FAILED', `clang failed to compile ${source} (exit ${result.status})`);
  return output;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('compile a C program to eBPF (clang -target bpf -O2 -g, with programs/include on the include path)')
    .argument('<source>', 'C source file')
    .option('-o, --output <file>', 'object file to write (default: SOURCE with .o)')
    .option('--mcpu <cpu>', 'BPF CPU version: v1, v2, v3, v4', 'v3')
    .option('-I, --include <dir>', 'extra include directory (repeatable)', collect)
    .option('-D, --define <macro>', 'preprocessor definition (repeatable)', collect)
    .option('--json', 'print {"output": path}')
    .action((source: string, opts: CompileOptions & { json?: boolean }) => {
      const output = compileProgram(source, opts);
      io().stdout.write(opts.json ? JSON.stringify({ output }) + '\n' : `${output}\n`);
    });
}
