import { ProgramInstance, type BatchPacket, type LoadedProgram } from '@flowshield/vm';
import { packetInputs } from './run-capture.js';
import type { TestHost } from './test-host.js';

const TARGET_RUNS = 200_000;

/**
 * ns/packet of each engine over the capture's UDP packets: the interpreter, the wasm engine one
 * packet per call, and the wasm engine in batches (as the edge runs it). Each gets a warm-up,
 * then the best of three rounds, measured one after the other in the same process.
 */
export function benchCapture(program: LoadedProgram, capture: Uint8Array, newHost: () => TestHost): string[] {
  const inputs = [...packetInputs(capture)].filter((i) => i.ignored === null);
  if (inputs.length === 0) return ['no UDP packets in the capture: nothing to measure'];
  const rounds = Math.max(1, Math.ceil(TARGET_RUNS / inputs.length));
  const best = (once: () => void): number => {
    const time = (): number => {
      const start = process.hrtime.bigint();
      for (let round = 0; round < rounds; round++) once();
      return Number(process.hrtime.bigint() - start) / (rounds * inputs.length);
    };
    time();
    return Math.min(time(), time(), time());
  };
  const single = (engine: 'interp' | 'wasm'): number => {
    const instance = new ProgramInstance(program, newHost(), { engine });
    return best(() => {
      for (const input of inputs) instance.run(input.ip!, input.meta!, input.now);
    });
  };
  const interp = single('interp');
  const wasm = single('wasm');
  const batchInstance = new ProgramInstance(program, newHost(), { engine: 'wasm' });
  const packets: BatchPacket[] = inputs.map((i) => ({ ip: i.ip!, meta: i.meta! }));
  const now = inputs[0]!.now;
  const batch = best(() => batchInstance.runBatch(packets, now));
  return [
    `interp: ${interp.toFixed(1)} ns/packet (${inputs.length} UDP packets × ${rounds} rounds)`,
    `wasm: ${wasm.toFixed(1)} ns/packet one call per packet, ${batch.toFixed(1)} ns/packet in batches`,
    `wasm is ${(interp / wasm).toFixed(1)}x the interpreter's speed one packet per call, ${(interp / batch).toFixed(1)}x in batches`,
  ];
}
