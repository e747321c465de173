// Insert cost of a bounded per-source table: from empty, at full, past 10× the capacity, and
// after many deletes — each printed as a ratio to the empty case of the same table in this run
// (flat, 1.0×, is the target). The old LruMap (a Map evicting with `map.delete(map.keys().next().value)`)
// runs beside it for contrast. A few seconds; nothing is asserted.
// Usage: node bench/tables/run.mjs [--capacity 20000] [--json]
import { LruTable } from '@flowshield/vm';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const CAPACITY = opt('capacity', 20_000);
/** inserts timed per phase */
const SAMPLE = Math.max(1, Math.floor(CAPACITY / 5));

/** The LruMap the VM and the edge used before (libs/vm/src/abi/memory-state.ts), kept here only for contrast. */
class OldLruMap {
  map = new Map();
  constructor(capacity) { this.capacity = capacity; }
  set(key, value) {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value);
  }
  delete(key) { return this.map.delete(key); }
}

// The keys a flood brings: 16-byte mapped IPv4 addresses + a port, all distinct.
const KEY_BYTES = 18;
const keyBytes = (i, out) => {
  out[10] = 0xff; out[11] = 0xff;
  out[12] = 127; out[13] = (i >>> 16) & 0xff; out[14] = (i >>> 8) & 0xff; out[15] = i & 0xff;
  out[16] = (i >>> 24) & 0xff; out[17] = 7;
  return out;
};

function tableSubject() {
  const table = new LruTable({ keyBytes: KEY_BYTES, valueBytes: 8, capacity: CAPACITY });
  const values = new Float64Array(table.capacity);
  const key = new Uint8Array(KEY_BYTES);
  return {
    name: 'LruTable',
    insert: (i) => { const k = keyBytes(i, key); let s = table.get(k); if (s < 0) s = table.add(k); values[s] = i; },
    remove: (i) => table.delete(keyBytes(i, key)),
  };
}

function oldSubject() {
  const map = new OldLruMap(CAPACITY);
  const key = new Uint8Array(KEY_BYTES);
  // The edge's key: the address bytes as a latin1 string (state-overlay.ts before this change).
  const str = (i) => Buffer.from(keyBytes(i, key)).toString('latin1');
  return { name: 'old LruMap', insert: (i) => map.set(str(i), i), remove: (i) => map.delete(str(i)) };
}

/**
 * ns per insert of SAMPLE new keys starting at `next`: the median of CHUNKS equal runs, so a
 * moment of preemption on a shared machine does not become the figure.
 */
const CHUNKS = 9;
function timeInserts(subject, next) {
  const per = Math.max(1, Math.floor(SAMPLE / CHUNKS));
  const ns = [];
  for (let c = 0; c < CHUNKS; c++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < per; i++) subject.insert(next + c * per + i);
    ns.push(Number(process.hrtime.bigint() - t0) / per);
  }
  return ns.sort((a, b) => a - b)[CHUNKS >> 1];
}

function run(subject) {
  let next = 0;
  const fill = (n) => { for (let i = 0; i < n; i++) subject.insert(next++); };
  const rows = {};
  rows.empty = timeInserts(subject, next); next += SAMPLE;
  fill(CAPACITY - next);
  rows.full = timeInserts(subject, next); next += SAMPLE;
  fill(10 * CAPACITY - next);
  rows['10x'] = timeInserts(subject, next); next += SAMPLE;
  // Many deletes: remove half the live entries, refill, repeat — the pattern that leaves a Map's
  // ordered storage full of holes.
  for (let round = 0; round < 4; round++) {
    for (let i = next - CAPACITY; i < next - CAPACITY / 2; i++) subject.remove(i);
    fill(CAPACITY / 2);
  }
  rows['after deletes'] = timeInserts(subject, next); next += SAMPLE;
  return rows;
}

// Warm-up on throw-away tables, so the first timed phase is not the JIT's.
for (let w = 0; w < 2; w++) for (const s of [tableSubject(), oldSubject()]) for (let i = 0; i < 3 * CAPACITY; i++) s.insert(i);

const results = [tableSubject(), oldSubject()].map((s) => ({ name: s.name, ns: run(s) }));
if (args.includes('--json')) {
  console.log(JSON.stringify({ capacity: CAPACITY, sample: SAMPLE, results }));
} else {
  const base = results[0].ns.empty;
  console.log(`capacity ${CAPACITY}, ${SAMPLE} inserts timed per phase (median of ${CHUNKS} runs); ratio = ns/insert ÷ the same table's empty case`);
  console.log('table        | phase          | ns/insert | ratio to its empty | ratio to LruTable empty');
  for (const r of results) {
    for (const [phase, ns] of Object.entries(r.ns)) {
      console.log(`${r.name.padEnd(12)} | ${phase.padEnd(14)} | ${ns.toFixed(0).padStart(9)} | ${(ns / r.ns.empty).toFixed(2).padStart(17)}× | ${(ns / base).toFixed(2).padStart(8)}×`);
    }
  }
}
