import { parseHexBytes } from './data-file.js';
import { runConformance } from './run-case.js';
import { loadCompiler } from '../wasm/compiler.js';

/** wasm is the default; interp is the reference interpreter. */
export const ENGINES = ['wasm', 'interp'] as const;
export type EngineName = (typeof ENGINES)[number];

export interface PluginInvocation {
  engine: EngineName;
  memory: Uint8Array;
}

/**
 * Reads the bpf_conformance runner's plugin arguments. The runner passes the memory as hex in
 * argv[1] and its plugin options as one more argument (possibly empty), so every argument is
 * split on whitespace: `--engine NAME` (or `--engine=NAME`) selects the engine (default wasm), everything else
 * is memory hex.
 */
export function parsePluginArgs(argv: readonly string[]): PluginInvocation {
  const tokens = argv.flatMap((arg) => arg.split(/\s+/)).filter(Boolean);
  let engine: string = 'wasm';
  const hex: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--engine') engine = tokens[++i] ?? '';
    else if (token.startsWith('--engine=')) engine = token.slice('--engine='.length);
    else if (token.startsWith('--')) throw new Error(`unknown option ${token}`);
    else hex.push(token);
  }
  if (!(ENGINES as readonly string[]).includes(engine)) throw new Error(`unknown engine '${engine}' (have: ${ENGINES.join(', ')})`);
  return { engine: engine as EngineName, memory: parseHexBytes(hex.join('')) };
}

/** Runs one plugin invocation: returns r0 as `0x…` hex, or throws with the reason. */
export async function runPlugin(invocation: PluginInvocation, programHex: string): Promise<string> {
  const program = parseHexBytes(programHex);
  if (invocation.engine === 'wasm') await loadCompiler();
  const result = invocation.engine === 'wasm'
    ? (await import('./run-case-wasm.js')).runConformanceWasm(program, invocation.memory)
    : runConformance(program, invocation.memory);
  if (result.fault) throw result.fault;
  return `0x${result.value.toString(16)}`;
}
