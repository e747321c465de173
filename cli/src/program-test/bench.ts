import { ProgramInstance, type LoadedProgram } from '@flowshield/vm';
import { packetInputs } from './run-capture.js';
import type { TestHost } from './test-host.js';

const TARGET_RUNS = 200_000;

/**
 * ns/packet of each engine over the capture's UDP packets: a warm-up, then the best of three
 * rounds, engines measured one after the other in the same process.
 */
export function benchCapture(program: LoadedProgram, capture: Uint8Array, newHost: () => TestHost): string[] {
  const inputs = [...packetInputs(capture)].filter((i) => i.ignored === null);
  if (inputs.length === 0) return ['no UDP packets in the capture: nothing to measure'];
  const rounds = Math.max(1, Math.ceil(TARGET_RUNS / inputs.length));
  const instance = new ProgramInstance(program, newHost());
  const time = (): number => {
    const start = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) {
      for (const input of inputs) instance.run(input.ip!, input.meta!, input.now);
    }
    return Number(process.hrtime.bigint() - start) / (rounds * inputs.length);
  };
  time();
  const interp = Math.min(time(), time(), time());
  return [`interp: ${interp.toFixed(1)} ns/packet (${inputs.length} UDP packets × ${rounds} rounds)`];
}
