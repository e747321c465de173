import { ProgramInstance, type BatchPacket, type LoadedProgram, type PacketMeta } from '@flowshield/vm';
import { packetInputs } from './run-capture.js';
import type { TestHost } from './test-host.js';

const TARGET_RUNS = 200_000;
/** timed rounds per engine: a warm-up, then the best of three */
const TIMINGS_PER_ENGINE = 4;
/** progress steps: three engines and the in-place batches (one chunk per batch of slots; usually one) */
export const BENCH_STEPS = 4 * TIMINGS_PER_ENGINE;

/** `test --bench`'s figures; ns per packet are null when the capture has no UDP packet. */
export interface BenchResult {
  udpPackets: number;
  rounds: number;
  /** wasmBatch copies each packet into the instance's memory; wasmInPlace runs over packets already there (the edge's native I/O) */
  nsPerPacket: { interp: number; wasm: number; wasmBatch: number; wasmInPlace: number } | null;
  /** interpreter time over wasm time: one packet per call, and in batches */
  speedup: { wasm: number; wasmBatch: number } | null;
}

/**
 * ns/packet of each engine over the capture's UDP packets: the interpreter, the wasm engine one
 * packet per call, and the wasm engine in batches (as the edge runs it, with the status cache:
 * a capture's metadata is read from its headers). Each gets a warm-up,
 * then the best of three rounds, measured one after the other in the same process.
 */
export function benchCapture(program: LoadedProgram, capture: Uint8Array, newHost: () => TestHost, onStep: (done: number) => void = () => undefined): BenchResult {
  const inputs = [...packetInputs(capture)].filter((i) => i.ignored === null);
  const rounds = Math.max(1, Math.ceil(TARGET_RUNS / Math.max(1, inputs.length)));
  if (inputs.length === 0) return { udpPackets: 0, rounds: 0, nsPerPacket: null, speedup: null };
  let steps = 0;
  const best = (once: () => void): number => {
    const time = (): number => {
      const start = process.hrtime.bigint();
      for (let round = 0; round < rounds; round++) once();
      const ns = Number(process.hrtime.bigint() - start) / (rounds * inputs.length);
      onStep(++steps);
      return ns;
    };
    time();
    return Math.min(time(), time(), time());
  };
  const single = (engine: 'interp' | 'wasm'): number => {
    const instance = new ProgramInstance(program, newHost(), { engine, statusCache: true });
    return best(() => {
      for (const input of inputs) instance.run(input.ip!, input.meta!, input.now);
    });
  };
  const interp = single('interp');
  const wasm = single('wasm');
  const batchInstance = new ProgramInstance(program, newHost(), { engine: 'wasm', statusCache: true });
  const packets: BatchPacket[] = inputs.map((i) => ({ ip: i.ip!, meta: i.meta! }));
  const now = inputs[0]!.now;
  const batch = best(() => batchInstance.runBatch(packets, now));
  // In place: each batch of packets already in the instance's memory (as the edge's native I/O
  // receives them), so only the runs are timed; the copy path above copies every packet in.
  const place = new ProgramInstance(program, newHost(), { engine: 'wasm', statusCache: true });
  const slots = place.slots!;
  const chunks: { count: number; metas: PacketMeta[]; packets: BatchPacket[] }[] = [];
  for (let base = 0; base < packets.length; base += slots.capacity) {
    const chunk = packets.slice(base, base + slots.capacity);
    chunks.push({ count: chunk.length, metas: chunk.map((p) => p.meta), packets: chunk });
  }
  let inPlaceNs = 0;
  for (const chunk of chunks) {
    chunk.packets.forEach((p, i) => {
      if (p.ip.length <= slots.maxPacket) slots.bytes.set(p.ip, slots.first + i * slots.stride);
      place.setSlotLength(i, p.ip.length);
    });
    // best() divides by every packet of the capture: the chunks' shares add up to ns/packet.
    inPlaceNs += best(() => place.runSlots(chunk.count, chunk.metas, now));
  }
  const inPlace = inPlaceNs;
  return {
    udpPackets: inputs.length, rounds,
    nsPerPacket: { interp, wasm, wasmBatch: batch, wasmInPlace: inPlace },
    speedup: { wasm: interp / wasm, wasmBatch: interp / batch },
  };
}

export function benchLines(r: BenchResult): string[] {
  if (!r.nsPerPacket || !r.speedup) return ['no UDP packets in the capture: nothing to measure'];
  return [
    `interp: ${r.nsPerPacket.interp.toFixed(1)} ns/packet (${r.udpPackets} UDP packets × ${r.rounds} rounds)`,
    `wasm: ${r.nsPerPacket.wasm.toFixed(1)} ns/packet one call per packet, ${r.nsPerPacket.wasmBatch.toFixed(1)} ns/packet in batches copying each packet in, ${r.nsPerPacket.wasmInPlace.toFixed(1)} ns/packet in batches over packets already in its memory`,
    `wasm is ${r.speedup.wasm.toFixed(1)}x the interpreter's speed one packet per call, ${r.speedup.wasmBatch.toFixed(1)}x in batches`,
  ];
}
