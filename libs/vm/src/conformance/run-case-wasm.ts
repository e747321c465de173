import type { RunResult } from '../interpreter/interpreter.js';
import { layoutRegions } from '../memory.js';
import { WasmEngine } from '../wasm/wasm-engine.js';
import { conformanceHelpers } from './run-case.js';

/**
 * `runConformance` on the compiled engine. A file of its own so that the interpreter's plugin
 * path never loads binaryen. No verifier has seen a conformance program: every access is checked.
 */
export function runConformanceWasm(program: Uint8Array, memory: Uint8Array): RunResult {
  const [input] = layoutRegions([{ name: 'input', bytes: memory, writable: true }]);
  return new WasmEngine(program, { helpers: conformanceHelpers(), regions: [input!], checks: 'all' }).run({ args: [input!.address, memory.length] });
}
