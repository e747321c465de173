import type { DecodedProgram } from '../isa/decode.js';
import type { CompileOptions, CompiledProgram } from './compiled.js';

type CompilerModule = typeof import('./compile.js');

let compiler: CompilerModule | null = null;
let loading: Promise<CompilerModule> | null = null;

/**
 * Loads the wasm compiler and binaryen (about half a second: binaryen's own wasm, behind a
 * top-level await). Nothing else in the package imports them, so a process that never compiles
 * (the CLI's verify, a packet worker given compiled modules, the interpreter) never pays for it.
 * Every compile needs it to have resolved; calling it again costs nothing.
 */
export async function loadCompiler(): Promise<void> {
  loading ??= import('./compile.js').then((loaded) => (compiler = loaded));
  await loading;
}

/** Whether `loadCompiler()` has resolved in this thread. */
export function compilerLoaded(): boolean {
  return compiler !== null;
}

/**
 * DecodedProgram → a WebAssembly module (see compile.ts). Synchronous, so a deployment swaps in
 * between two packets; the compiler must have been loaded first.
 */
export function compileProgram(program: DecodedProgram, options: CompileOptions): CompiledProgram {
  if (!compiler) throw new Error('the wasm compiler is not loaded in this thread: await loadCompiler() before compiling');
  return compiler.compileProgram(program, options);
}
