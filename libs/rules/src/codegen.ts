import type { Expr, Literal, ValueExpr } from './ast.js';
import { bitSliceReader, compileCompare, compileExpr, mergeRanges, prefixListOf, type CompileEnv } from './compile.js';
import type { PacketView } from './packet-view.js';
import { ByteBase, IntSlot } from './scheme.js';

/**
 * The production back end: a whole rule set becomes straight-line JavaScript, one `if` per rule,
 * compiled by V8 like a hand-written function (the closure tree of compile.ts costs a call per
 * node, which over 200 rules is most of the time). The closures stay the reference back end;
 * tests run both over the same packets and demand the same answers.
 *
 * What reaches the generated source is fixed text from this file and numbers: every literal is a
 * safe integer the parser produced (printed by String()), and everything else an expression holds
 * — prefix lists, byte strings, regular expressions, bpf() names, whole comparisons this
 * generator does not inline — is an entry of the constants array `K`, referenced by index. No
 * text written by an operator (rule ids, strings, list names) is ever part of the source.
 */

/** Runs rules [first, first + count) of a set: records matches, counts them, returns the first deciding index or `decided`. */
export type ChunkEvaluator = (p: PacketView, counts: Float64Array, matched: Int32Array, state: EvalState, decided: number) => number;

export interface EvalState {
  matchedCount: number;
}

export interface GeneratedRule {
  readonly expr: Expr;
  readonly input: string;
  readonly decides: boolean;
}

/** rules per generated function: big functions stay within what V8's optimizing compiler takes */
const CHUNK = 48;
/** integer sets of up to this many ranges, and address sets of up to this many prefixes, are inlined */
const INLINE_SET = 8;
/** byte-string comparisons of up to this many bytes are inlined */
const INLINE_BYTES = 16;

export function generateEvaluators(rules: readonly GeneratedRule[], env: CompileEnv): ChunkEvaluator[] {
  const out: ChunkEvaluator[] = [];
  for (let first = 0; first < rules.length; first += CHUNK) out.push(generateChunk(rules.slice(first, first + CHUNK), first, env));
  return out;
}

function generateChunk(rules: readonly GeneratedRule[], first: number, env: CompileEnv): ChunkEvaluator {
  const K: unknown[] = [];
  const lines = [
    'const ints = p.ints, b = p.bytes, a6 = p.addr6, v = p.version, len = p.length;',
    'let n = state.matchedCount, s = 0, x = 0;',
  ];
  rules.forEach((r, k) => {
    const i = first + k;
    const test = new Emitter(K, env, r.input).expr(r.expr);
    lines.push(`if (${test}) { matched[n++] = ${i}; counts[${2 * i}]++; counts[${2 * i + 1}] += len;${r.decides ? ` if (decided < 0) decided = ${i};` : ''} }`);
  });
  lines.push('state.matchedCount = n;', 'return decided;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('K', `return function rules_${first}(p, counts, matched, state, decided) {\n${lines.join('\n')}\n};`) as (k: unknown[]) => ChunkEvaluator;
  return make(K);
}

class Emitter {
  constructor(private readonly K: unknown[], private readonly env: CompileEnv, private readonly input: string) {}

  private constant(value: unknown): string {
    this.K.push(value);
    return `K[${this.K.length - 1}]`;
  }

  expr(e: Expr): string {
    switch (e.kind) {
      case 'logical': {
        const items = e.items.map((i) => this.expr(i));
        if (e.op === 'and') return `(${items.join(' && ')})`;
        if (e.op === 'or') return `(${items.join(' || ')})`;
        return `((${items.map((i) => `(${i} ? 1 : 0)`).join(' ^ ')}) === 1)`;
      }
      case 'not':
        return `!(${this.expr(e.arg)})`;
      case 'bpf':
        return `${this.constant(compileExpr(e, this.input, this.env))}(p)`;
      case 'compare':
        return this.compare(e.lhs, e.op, e.rhs) ?? `${this.constant(compileCompare(e.lhs, e.op, e.rhs, this.input, this.env))}(p)`;
    }
  }

  /** inline code for the common comparisons; null hands the comparison to its closure */
  private compare(lhs: ValueExpr, op: string, rhs: Literal): string | null {
    if (lhs.kind === 'bit_slice') {
      const test = intTest('x', op, rhs);
      if (test === null) return null;
      const inline = bitSliceInline(lhs.base, lhs.startBit, lhs.endBit);
      if (inline !== null) return `(${inline} && ${test})`;
      const read = this.constant(bitSliceReader(lhs.base === 'ip' ? ByteBase.IP : ByteBase.UDP, lhs.startBit, lhs.endBit));
      return `((x = ${read}(p)) >= 0 && ${test})`;
    }
    const f = lhs.field;
    if (f.type === 'int') {
      const test = intTest('x', op, rhs);
      return test === null ? null : `((x = ints[${f.slot}]), ${test})`;
    }
    if (f.type === 'ip') return this.ip(f.which === 'src' ? 0 : 1, op, rhs);
    if (lhs.kind === 'slice' && lhs.length !== null && rhs.kind === 'bytes' && rhs.value.length === lhs.length && lhs.length <= INLINE_BYTES && (op === 'eq' || op === 'ne')) {
      const start = f.base === ByteBase.IP ? 'p.offset' : f.base === ByteBase.UDP ? 'p.udpStart' : 'p.payloadStart';
      const end = f.base === ByteBase.IP ? 'p.ipEnd' : 'p.udpEnd';
      const same = [...rhs.value].map((byte, j) => `b[s + ${j}] === ${byte}`).join(' && ');
      return `((s = ${start} + ${lhs.start}), s + ${lhs.length} <= ${end} && ${op === 'eq' ? `(${same})` : `!(${same})`})`;
    }
    return null;
  }

  private ip(which: 0 | 1, op: string, rhs: Literal): string | null {
    const slot = which === 0 ? IntSlot.SRC4 : IntSlot.DST4;
    const at = which * 4;
    if (rhs.kind === 'ip' && op === 'eq') {
      const w = rhs.prefix.words;
      return rhs.prefix.family === 4 ? `(v === 4 && ints[${slot}] === ${w[0]})` : `(v === 6 && ${w.map((word, j) => `a6[${at + j}] === ${word}`).join(' && ')})`;
    }
    if (rhs.kind === 'ip_set' && rhs.prefixes.length <= INLINE_SET) {
      const tests4 = rhs.prefixes.filter((p) => p.family === 4).map((p) => {
        const mask = p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0;
        return `((ints[${slot}] & ${mask}) >>> 0) === ${p.words[0]}`;
      });
      const tests6 = rhs.prefixes.filter((p) => p.family === 6).map((p) => {
        const parts: string[] = [];
        for (let j = 0; j < 4; j++) {
          const keep = Math.max(0, Math.min(32, p.length - j * 32));
          if (keep === 0) break;
          const mask = (0xffffffff << (32 - keep)) >>> 0;
          parts.push(keep === 32 ? `a6[${at + j}] === ${p.words[j]}` : `((a6[${at + j}] & ${mask}) >>> 0) === ${p.words[j]}`);
        }
        return parts.length === 0 ? 'true' : `(${parts.join(' && ')})`;
      });
      return `(v === 4 ? ${tests4.length ? `(${tests4.join(' || ')})` : 'false'} : ${tests6.length ? `(${tests6.join(' || ')})` : 'false'})`;
    }
    if (rhs.kind === 'ip_set' || rhs.kind === 'list') {
      const list = this.constant(prefixListOf(rhs, this.input, this.env));
      return `((v === 4 ? ${list}.lookup4(ints[${slot}]) : ${list}.lookup6(a6, ${at})) >= 0)`;
    }
    return null;
  }
}

/**
 * bit_slice within at most three bytes, read inline: sets `s` to the first byte's offset and `x`
 * to the value; false when the packet is too short (the value is absent). Wider slices go
 * through bitSliceReader.
 */
function bitSliceInline(base: 'ip' | 'udp', startBit: number, endBit: number): string | null {
  const first = startBit >>> 3;
  const last = (endBit - 1) >>> 3;
  if (last - first > 2) return null;
  const start = base === 'ip' ? 'p.offset' : 'p.udpStart';
  const end = base === 'ip' ? 'p.ipEnd' : 'p.udpEnd';
  let word = 'b[s]';
  for (let i = 1; i <= last - first; i++) word = `((${word} << 8) | b[s + ${i}])`;
  const shift = (last + 1) * 8 - endBit;
  const mask = 2 ** (endBit - startBit) - 1;
  return `((s = ${start} + ${first}), s + ${last - first} < ${end}) && ((x = (${word} >>> ${shift}) & ${mask}), true)`;
}

const JS_OP: Readonly<Record<string, string>> = { eq: '===', ne: '!==', lt: '<', le: '<=', gt: '>', ge: '>=' };
const num = (n: number) => (n < 0 ? `(${n})` : String(n));

/** a test of the integer in variable `x`, or null */
function intTest(x: string, op: string, rhs: Literal): string | null {
  if (rhs.kind === 'int') {
    if (op === 'bitwise_and') return `(${x} & ${num(rhs.value)}) !== 0`;
    return `${x} ${JS_OP[op]} ${num(rhs.value)}`;
  }
  if (rhs.kind === 'int_set') {
    const { lo, hi } = mergeRanges(rhs.ranges);
    if (lo.length > INLINE_SET) return null;
    return `(${lo.map((a, j) => (a === hi[j] ? `${x} === ${num(a)}` : `(${x} >= ${num(a)} && ${x} <= ${num(hi[j]!)})`)).join(' || ')})`;
  }
  return null;
}
