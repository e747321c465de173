// ns/packet of the reference interpreter vs a hand-written JS function doing the same check,
// measured in the same run. Usage: node bench/vm-interp/run.mjs [iterations]
import { assemble, Interpreter, layoutRegions } from '@flowshield/vm';
import { MAGIC_TOKEN_ASM, TAIL_CHECK_ASM, magicTokenJs, tailCheckJs, samplePackets } from './filters.mjs';

const ITERATIONS = Number(process.argv[2] ?? 300_000);
const packets = samplePackets();
const buffer = new Uint8Array(1500);
const [region] = layoutRegions([{ name: 'packet', bytes: buffer, writable: false }]);
const regions = [region];

function time(fn) {
  // Warm up, then take the best of three timed rounds: the machine is shared and noisy.
  fn(ITERATIONS / 10);
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const start = process.hrtime.bigint();
    fn(ITERATIONS);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / ITERATIONS);
  }
  return best;
}

function bench(name, source, js) {
  const vm = new Interpreter(assemble(source));
  let steps = 0;
  let checksum = 0;
  // Same packets, same copy into one buffer, for both sides: only the check differs.
  const interp = time((n) => {
    for (let i = 0; i < n; i++) {
      const p = packets[i % packets.length];
      buffer.set(p);
      const result = vm.run({ regions, args: [region.address, p.length] });
      checksum += result.lo;
      steps += result.steps;
    }
  });
  steps = 0;
  for (const p of packets) {
    buffer.set(p);
    steps += vm.run({ regions, args: [region.address, p.length] }).steps;
  }
  const avgInstructions = steps / packets.length;
  const hand = time((n) => {
    for (let i = 0; i < n; i++) {
      const p = packets[i % packets.length];
      buffer.set(p);
      checksum += js(buffer, p.length);
    }
  });
  // Agreement check: a benchmark of a wrong filter is worthless.
  for (const p of packets) {
    buffer.set(p);
    const a = vm.run({ regions, args: [region.address, p.length] }).lo;
    if (a !== js(buffer, p.length)) throw new Error(`${name}: interpreter and JS disagree`);
  }
  const cTarget = 2 * (40 + 8 * avgInstructions);
  console.log(`${name}: interpreter ${interp.toFixed(1)} ns/packet (~${avgInstructions.toFixed(1)} instructions/run), hand-written JS ${hand.toFixed(1)} ns/packet, ratio ${(interp / hand).toFixed(2)}x`);
  console.log(`  target (2x a C interpreter: 2 * (40 + 8 * instructions) ns) ${cTarget.toFixed(0)} ns: ${interp <= cTarget ? 'MET' : 'NOT MET'} (${(interp / cTarget).toFixed(2)}x of target)  [checksum ${checksum & 0xff}]`);
}

bench('magic token (port 207)', MAGIC_TOKEN_ASM, magicTokenJs);
bench('tail check ("xyzzy")', TAIL_CHECK_ASM, tailCheckJs);
