import { HelperTable } from '../helpers.js';
import { Interpreter, type RunResult } from '../interpreter/interpreter.js';
import { layoutRegions } from '../memory.js';

/** The helper table bpf_conformance expects: helper 5 returns r1 and ends the run when r1 is 0. */
export function conformanceHelpers(): HelperTable {
  return new HelperTable([
    {
      id: 5,
      name: 'conformance_unwind',
      fn: (ctx) => {
        const value = ctx.argU64(1);
        if (value === 0n) ctx.stop();
        return value;
      },
    },
  ]);
}

/**
 * Runs a program the way bpf_conformance runs it: the input memory as one writable region,
 * r1 = its address, r2 = its length.
 */
export function runConformance(program: Uint8Array, memory: Uint8Array): RunResult {
  const interpreter = new Interpreter(program, { helpers: conformanceHelpers() });
  const [input] = layoutRegions([{ name: 'input', bytes: memory, writable: true }]);
  return interpreter.run({ regions: [input!], args: [input!.address, memory.length] });
}
