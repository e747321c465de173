#!/usr/bin/env node
// Challenge benchmark: raw HMAC-SHA256 baselines, the engine's verify (including the replay check)
// as a ratio of one raw noble HMAC, and client solve-time percentiles per difficulty, all measured
// in this run. Build first: npx tsc -b libs/puzzle. Run: node bench/challenge/run.mjs [--quick]
import { createHmac } from 'node:crypto';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeAnswer, endpoint } from '@flowshield/proto';
import { KeyRing, PuzzleEngine, Solver, solveChallenge } from '@flowshield/puzzle';

const quick = process.argv.includes('--quick');
const fmt = (n) => Math.round(n).toLocaleString('en-US');

/** Runs fn(i) for about `ms` milliseconds (after a warm-up) and returns operations per second. */
function opsPerSecond(fn, ms = quick ? 300 : 1500) {
  for (let i = 0; i < 2000; i++) fn(i);
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 1000; i++) fn(ops + i);
    ops += 1000;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

/**
 * Measures fn and the noble one-shot HMAC baseline in alternating short rounds and returns the
 * medians: other work on a shared machine then affects both sides of each ratio alike.
 */
function versusBaseline(fn, rounds = quick ? 3 : 7, ms = quick ? 150 : 250) {
  const ops = [];
  const ratios = [];
  for (let r = 0; r < rounds; r++) {
    const base = opsPerSecond(nobleOneShot, ms);
    const mine = opsPerSecond(fn, ms);
    ops.push(mine);
    ratios.push(base / mine);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { ops: median(ops), cost: median(ratios) };
}

const key = new Uint8Array(32).fill(7);
const msg32 = new Uint8Array(32).fill(1);

console.log('HMAC-SHA256 of 32 bytes (baseline)');
const nodeHmac = opsPerSecond(() => createHmac('sha256', key).update(msg32).digest());
const nobleOneShot = () => hmac(sha256, key, msg32);
const nobleHmac = opsPerSecond(nobleOneShot);
const keyed = hmac.create(sha256, key);
const scratch = keyed.clone();
const out = new Uint8Array(32);
const nobleCloned = opsPerSecond(() => { keyed._cloneInto(scratch).update(msg32); scratch.digestInto(out); });
console.log(`  node:crypto createHmac     ${fmt(nodeHmac).padStart(10)} ops/s`);
console.log(`  noble hmac() one-shot      ${fmt(nobleHmac).padStart(10)} ops/s   (the baseline: 1.00)`);
console.log(`  noble keyed, cloned        ${fmt(nobleCloned).padStart(10)} ops/s   (what the engine does per MAC)`);

// Engine verify: every answer valid and fresh, so each call runs every check and records the tag.
const T0 = 1_800_000_000;
const client = endpoint('198.51.100.7', 40000);
const target = endpoint('203.0.113.5', 207);
const epoch = { keyId: 1, notBefore: T0 - 10, notAfter: T0 + 60, acceptUntil: T0 + 120, key: new Uint8Array(32).fill(9) };
const engineWith = () => {
  const ring = new KeyRing({ replayCapacity: 1 << 20 });
  ring.upsert(epoch);
  return new PuzzleEngine({ keyRing: ring, clock: () => T0 * 1000 });
};

function answers(count, bits, subPuzzles) {
  const e = engineWith();
  const list = [];
  for (let i = 0; i < count; i++) {
    const c = e.issue({ client, target, triggerSize: 1200, difficulty: { bits, subPuzzles } });
    list.push(encodeAnswer(c.packet, solveChallenge(c.packet)));
  }
  return list;
}

console.log('\nEngine verify (format, key, age, binding + tag, floor, proof of work, replay filter insert);\ncost = median over rounds alternating with the noble one-shot HMAC baseline');
const N = quick ? 5000 : 20000;
for (const subPuzzles of [1, 4, 8]) {
  const list = answers(N, 3 + Math.log2(subPuzzles), subPuzzles);
  let engine = engineWith();
  let next = 0;
  let ok = 0;
  let refused = 0;
  const { ops, cost } = versusBaseline(() => {
    if (next === N) { engine = engineWith(); next = 0; } // each answer verifies once per replay filter
    if (engine.verify(list[next++], { client, target, floorBits: 0 }).ok) ok++;
    else refused++;
  });
  const label = subPuzzles === 8 ? ' (default)' : '';
  console.log(`  ${subPuzzles} sub-puzzle(s)${label.padEnd(10)} ${fmt(ops).padStart(10)} ops/s   cost ${cost.toFixed(2)}× one noble HMAC${subPuzzles === 8 ? '   (target ≤ 1.5×)' : ''}`);
  if (refused > 0) throw new Error('a valid answer was refused: the benchmark is broken');
}
{
  const list = answers(1000, 6, 8);
  const forged = list.map((a) => { const b = a.slice(); b[45] ^= 1; return b; });
  const engine = engineWith();
  let i = 0;
  const { ops, cost } = versusBaseline(() => engine.verify(forged[i++ % 1000], { client, target, floorBits: 0 }));
  console.log(`  forged tag (attack path)   ${fmt(ops).padStart(10)} ops/s   cost ${cost.toFixed(2)}× one noble HMAC`);
}

console.log('\nClient solve time (JS SHA-256 on this thread), milliseconds');
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const cases = quick
  ? [[8, 8, 100], [12, 8, 60], [12, 1, 60]]
  : [[8, 8, 300], [10, 8, 300], [12, 8, 200], [14, 8, 120], [16, 8, 50], [12, 1, 200], [14, 1, 120], [16, 1, 50]];
console.log('  bits  sub-puzzles  samples     mean      p50      p90      p99   p90/mean');
const e = engineWith();
for (const [bits, subPuzzles, samples] of cases) {
  const times = [];
  for (let i = 0; i < samples; i++) {
    const c = e.issue({ client, target, triggerSize: 1200, difficulty: { bits, subPuzzles } });
    const start = performance.now();
    const s = new Solver(c.packet);
    while (!s.step(1 << 16));
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const row = [bits, subPuzzles, samples].map((x, i) => String(x).padStart([6, 13, 9][i])).join('');
  console.log(`${row}${[mean, pct(times, 0.5), pct(times, 0.9), pct(times, 0.99)].map((x) => x.toFixed(1).padStart(9)).join('')}${(pct(times, 0.9) / mean).toFixed(2).padStart(11)}`);
}

// The C SDK (sdk/c) against the Node SDK's solver on the same challenges, alternating per
// difficulty so machine load hits both alike. Ratio = Node mean / C mean (higher: C faster).
{
  const { execFileSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const here = (p) => fileURLToPath(new URL(p, import.meta.url));
  const sdk = here('../../sdk/c/');
  execFileSync('make', ['-C', sdk, 'build/libflowshield.a'], { stdio: 'ignore' });
  const bin = `${sdk}build/bench-c-solve`;
  execFileSync('cc', ['-std=c99', '-O2', '-I', `${sdk}include`, here('./c-solve.c'), `${sdk}build/libflowshield.a`, '-o', bin]);
  console.log('\nC SDK vs Node SDK solve time, same challenges (ms; ratio = Node mean / C mean)');
  console.log('  bits  sub-puzzles  samples   Node mean     C mean   ratio   same tries');
  const cCases = quick ? [[12, 8, 30], [16, 8, 10]] : [[10, 8, 100], [12, 8, 100], [14, 8, 60], [16, 8, 30], [18, 8, 10], [16, 1, 30]];
  for (const [bits, subPuzzles, samples] of cCases) {
    const packets = Array.from({ length: samples }, () => e.issue({ client, target, triggerSize: 1200, difficulty: { bits, subPuzzles } }).packet);
    let nodeMs = 0;
    const nodeTries = [];
    for (const packet of packets) {
      const start = performance.now();
      const s = new Solver(packet);
      while (!s.step(1 << 16));
      nodeMs += performance.now() - start;
      nodeTries.push(s.progress().tries);
    }
    const out = execFileSync(bin, { input: packets.map((p) => Buffer.from(p).toString('hex')).join('\n') + '\n', encoding: 'utf8' }).trim().split('\n');
    const cMs = out.reduce((a, l) => a + Number(l.split(' ')[0]), 0);
    const same = out.every((l, i) => Number(l.split(' ')[1]) === nodeTries[i]);
    if (!same) throw new Error('the C and Node solvers disagree: the benchmark is broken');
    const row = [bits, subPuzzles, samples].map((x, i) => String(x).padStart([6, 13, 9][i])).join('');
    console.log(`${row}${(nodeMs / samples).toFixed(2).padStart(12)}${(cMs / samples).toFixed(2).padStart(11)}${(nodeMs / cMs).toFixed(2).padStart(7)}×   ${same ? 'yes' : 'NO'}`);
  }
}
