import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conformanceSuite } from '../conformance/suite-path.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChallengeEngine } from '../abi/host.js';
import { parseConformanceFile } from '../conformance/data-file.js';
import { conformanceHelpers } from '../conformance/run-case.js';
import { Interpreter, type RunResult } from '../interpreter/interpreter.js';
import { decodeProgram } from '../isa/decode.js';
import { layoutRegions } from '../memory.js';
import { ProgramInstance, type BatchPacket, type PacketResult } from '../program/instance.js';
import { loadProgram } from '../program/load-program.js';
import { compileC, EXAMPLES_DIR } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import { WasmEngine } from './wasm-engine.js';
import { loadCompiler } from './compiler.js';

await loadCompiler();

/*
 * The two engines against each other on real programs: every conformance file (r0 or fault,
 * steps, the memory afterwards) and every example program over the same packet sequence (verdict,
 * r0, fault, effects, and the state left in the host), one packet per call and in batches.
 */

const SUITE = conformanceSuite() ?? '';
/** defined only where the suite is (a bare clone has none; the runner's summary says so) */
const suiteTest = SUITE ? test : () => undefined;
const describe = (r: RunResult) => (r.fault ? { fault: r.fault.code, index: r.fault.index, address: r.fault.address, size: r.fault.size, steps: r.steps } : { r0: r.value, steps: r.steps });

suiteTest('wasm differential - every conformance file: same result, fault, steps and memory as the interpreter', () => {
  const files = readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort();
  let compared = 0;
  for (const file of files) {
    const testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
    let program;
    try {
      program = decodeProgram(testCase.program, { helpers: conformanceHelpers() });
    } catch {
      continue; // refused before it runs, by both engines alike
    }
    const [a] = layoutRegions([{ name: 'input', bytes: testCase.memory.slice(), writable: true }]);
    const [b] = layoutRegions([{ name: 'input', bytes: testCase.memory.slice(), writable: true }]);
    const interpreted = new Interpreter(program, { helpers: conformanceHelpers() }).run({ regions: [a!], args: [a!.address, testCase.memory.length] });
    const compiled = new WasmEngine(program, { helpers: conformanceHelpers(), regions: [b!] }).run({ args: [b!.address, testCase.memory.length] });
    assert.deepEqual(describe(compiled), describe(interpreted), file);
    assert.deepEqual(b!.bytes, a!.bytes, `${file}: memory`);
    compared++;
  }
  assert.ok(compared > 290, `only ${compared} files compared`);
});

/** A small deterministic generator of packets, good and bad, for the example programs. */
function packetSequence(count: number, seed: number): { ip: Uint8Array; meta: BatchPacket['meta']; advance: number }[] {
  let s = seed;
  const next = (n: number) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const text = (t: string) => Array.from(new TextEncoder().encode(t));
  const payloads = [
    () => [1, 0, 4, 1, 2, 3, 0xcf],
    () => [1, 0, 4, 1, 2, 3, 0xce],
    () => { const n = 1 + next(40); return [1, n >> 8, n & 0xff, ...Array.from({ length: n }, () => (next(4) === 0 ? 0xcf : next(256)))]; },
    () => text('hello xyzzy'),
    () => text('xyzzy'),
    () => text('hello game server'),
    () => text('good answer'),
    () => text('bad answer'),
    () => text('game data'),
    () => Array.from({ length: next(64) }, () => next(256)),
    () => [1],
  ];
  const out = [];
  for (let i = 0; i < count; i++) {
    const p = udp4({
      src: [10, 0, 0, 1 + next(6)],
      srcPort: 40000 + next(3),
      dstPort: [207, 207, 207, 53, 208, 4000][next(6)]!,
      payload: payloads[next(payloads.length)]!(),
      ...(next(10) === 0 ? { udpLength: next(80) } : {}),
    });
    let ip = p.ip;
    const mangle = next(20);
    if (mangle === 0) ip = ip.subarray(0, next(ip.length)); // truncated
    else if (mangle === 1) ip = Uint8Array.from({ length: next(60) }, () => next(256)); // not IP at all
    else if (mangle === 2) ip = new Uint8Array(1600).fill(0x45); // larger than PFP's buffer
    out.push({ ip, meta: p.meta, advance: next(8) === 0 ? 30 + next(700) : 0 });
  }
  return out;
}

function challengeHost(): FakeClockHost {
  const host = new FakeClockHost();
  const engine: ChallengeEngine = {
    challengeBytes: 9,
    issue: () => new TextEncoder().encode('CHALLENGE'),
    verify: (meta) => ({ 'good answer': 1, 'bad answer': -7 } as Record<string, number>)[new TextDecoder().decode(meta.payload)] ?? 0,
  };
  host.challenge = engine;
  return host;
}

const effectsOf = (r: PacketResult['effects'] | null) => r && {
  challenge: r.challenge && Array.from(r.challenge), reply: r.reply && Array.from(r.reply), tag: r.tag, statusChange: r.statusChange, printed: r.printed,
};
const emptyEffects = { challenge: null, reply: null, tag: null, statusChange: null, printed: [] };
const stateOf = (host: FakeClockHost) => ({ statuses: [...host.state.statuses.entries()], counters: [...host.counters.entries()], printed: host.printed });

for (const [name, mcpu] of [['magic_token.c', 'v1'], ['magic_token.c', 'v3'], ['challenge.c', 'v3'], ['tail_check.c', 'v3'], ['rate_limit.c', 'v3'], ['cookie.c', 'v1'], ['cookie.c', 'v3'], ['pfp_example.c', 'v3'], ['xdp_flood_guard.c', 'v3']] as const) {
  test(`wasm differential - example ${name} (-mcpu=${mcpu}): same verdicts, effects and state on both engines, single calls and batches`, () => {
    const program = loadProgram(compileC(join(EXAMPLES_DIR, name), { mcpu }));
    const hosts = { interp: challengeHost(), wasm: challengeHost(), batch: challengeHost() };
    const interp = new ProgramInstance(program, hosts.interp, { engine: 'interp' });
    // The status cache on: it must change no answer (a packet that is not IP keeps its metadata's
    // source, which the cache could only confuse with a header naming a cached source).
    const wasm = new ProgramInstance(program, hosts.wasm, { engine: 'wasm', statusCache: true });
    const batched = new ProgramInstance(program, hosts.batch, { engine: 'wasm', batchCapacity: 7, statusCache: true });
    const packets = packetSequence(600, name.length * 7919 + mcpu.length);
    // Batches share one clock reading: cut the sequence where the clock moves.
    let batch: BatchPacket[] = [];
    let batchStart = 0;
    const runBatch = (upTo: number) => {
      if (!batch.length) return;
      const result = batched.runBatch(batch, hosts.batch.now);
      for (let j = 0; j < batch.length; j++) {
        const expected = singleResults[batchStart + j]!;
        const where = `${name}: batch packet ${batchStart + j}`;
        assert.equal(result.verdicts[j], expected.verdict, where);
        assert.equal(result.faults[j]?.code, expected.fault?.code, where);
        if (!expected.fault) assert.equal(result.r0(j), expected.r0, where);
        assert.deepEqual(effectsOf(result.effects[j]!) ?? emptyEffects, effectsOf(expected.effects), where);
      }
      batch = [];
      batchStart = upTo;
    };
    const singleResults: { verdict: string; r0: bigint; fault: { code: string; index: number } | null; effects: PacketResult['effects'] }[] = [];
    packets.forEach((p, i) => {
      if (p.advance) {
        runBatch(i);
        for (const host of Object.values(hosts)) host.now += p.advance;
      }
      const a = interp.run(p.ip, p.meta, hosts.interp.now);
      const ea = effectsOf(a.effects);
      const b = wasm.run(p.ip, p.meta, hosts.wasm.now);
      const where = `${name}: packet ${i} (${p.ip.length} bytes)`;
      assert.deepEqual({ verdict: b.verdict, r0: b.r0, fault: b.fault?.code, index: b.fault?.index, steps: b.steps }, { verdict: a.verdict, r0: a.r0, fault: a.fault?.code, index: a.fault?.index, steps: a.steps }, where);
      assert.deepEqual(effectsOf(b.effects), ea, where);
      singleResults.push({ verdict: a.verdict, r0: a.r0, fault: a.fault, effects: structuredEffects(a.effects) });
      batch.push({ ip: p.ip, meta: p.meta });
    });
    runBatch(packets.length);
    // The sequence must exercise the program, not only its first refusal.
    const verdicts = new Set(singleResults.map((r) => r.verdict));
    assert.ok(verdicts.size >= 2, `${name}: verdicts seen: ${[...verdicts]}`);
    assert.deepEqual(stateOf(hosts.wasm), stateOf(hosts.interp), `${name}: state`);
    assert.deepEqual(stateOf(hosts.batch), stateOf(hosts.interp), `${name}: state after batches`);
  });
}

/** A copy of a run's effects (the instance reuses its object for the next run). */
function structuredEffects(e: PacketResult['effects']): PacketResult['effects'] {
  return { ...e, printed: e.printed.slice() } as PacketResult['effects'];
}
