import { decodeProgram, type DecodedProgram } from '../isa/decode.js';
import { HelperTable, type BufferChecks } from '../helpers.js';
import { DEFAULT_BUDGET, type RunResult } from '../interpreter/interpreter.js';
import type { MemoryRegion } from '../memory.js';
import { compileProgram, type CompiledProgram } from './compile.js';
import { WasmInstance } from './wasm-instance.js';

export interface WasmEngineOptions {
  helpers?: HelperTable;
  budget?: number;
  /** the regions the program may address besides its stack: fixed when the module is compiled */
  regions?: readonly MemoryRegion[];
  /** slots whose access the verifier could not prove; default 'all' (no verifier has seen the program) */
  checks?: ReadonlySet<number> | 'all';
  /** the region legacy packet loads read; default the first */
  packet?: MemoryRegion;
  /** the verifier's run-time checks of helper buffers */
  bufferChecks?: BufferChecks;
}

/**
 * The compiled engine with the interpreter's calling convention, for raw programs (the
 * conformance suite, differential tests): regions are given once, copied into the instance's
 * memory before each run and the writable ones copied back after it.
 */
export class WasmEngine {
  readonly program: DecodedProgram;
  readonly compiled: CompiledProgram;
  readonly instance: WasmInstance;
  private readonly regions: readonly MemoryRegion[];

  constructor(program: DecodedProgram | Uint8Array, options: WasmEngineOptions = {}) {
    const helpers = options.helpers ?? new HelperTable();
    this.program = program instanceof Uint8Array ? decodeProgram(program, { helpers }) : program;
    this.regions = options.regions ?? [];
    const packetIndex = options.packet ? this.regions.indexOf(options.packet) : this.regions.length ? 0 : null;
    this.compiled = compileProgram(this.program, {
      regions: this.regions.map((r) => ({ name: r.name, address: r.address, size: r.bytes.length, writable: r.writable })),
      checks: options.checks ?? 'all',
      packetRegion: packetIndex === -1 ? null : packetIndex,
    });
    this.instance = new WasmInstance(this.compiled, helpers, options.budget ?? DEFAULT_BUDGET, options.bufferChecks);
  }

  /**
   * Runs once. `regions` may give other bytes for the regions the engine was built with (same
   * names, addresses and sizes, in the same order): they are copied in, and written back after.
   */
  run(options: { args?: readonly (number | bigint)[]; budget?: number; regions?: readonly MemoryRegion[] } = {}): RunResult {
    const instance = this.instance;
    const regions = options.regions ?? this.regions;
    regions.forEach((r, i) => {
      const fixed = this.regions[i];
      if (!fixed || fixed.address !== r.address || fixed.bytes.length !== r.bytes.length) throw new RangeError(`region ${r.name} is not laid out as when the engine was built`);
    });
    for (const r of regions) instance.bytes.set(r.bytes, r.address);
    const budget = instance.budget;
    if (options.budget !== undefined) instance.setBudget(options.budget);
    try {
      return instance.runRaw(options.args ?? []);
    } finally {
      if (options.budget !== undefined) instance.setBudget(budget);
      for (const r of regions) if (r.writable) r.bytes.set(instance.bytes.subarray(r.address, r.address + r.bytes.length));
    }
  }
}
