import type { Expr, Literal, OrderingOp, ValueExpr } from './ast.js';
import { ExpressionError, RulesErrorCode } from './errors.js';
import type { PacketView } from './packet-view.js';
import { latin1 } from './parser.js';
import { PrefixList, PrefixListBuilder } from './prefix-list.js';
import { ByteBase } from './scheme.js';

/** A compiled expression: reads one loaded PacketView, allocates nothing (see `matches`). */
export type Predicate = (p: PacketView) => boolean;

/**
 * Runs a deployed socket-filter program over the packet (nftables xt_bpf): nonzero is a match.
 * The host (the edge, `rules test`) provides it; the compiler only records which names are used.
 */
export type BpfHost = (name: string, packet: PacketView) => number;

export interface CompileEnv {
  /** named lists `$name` */
  readonly lists: ReadonlyMap<string, PrefixList>;
  /** called for `bpf("name")`; a rule set without one treats every bpf() as an error at compile time */
  readonly bpf: BpfHost | null;
}

/**
 * The compiler: the AST becomes a tree of closures, once, at deploy. Each comparison is
 * specialised for its operator and operand kind (an integer slot, an address, a byte range), so
 * the run time does no dispatch on types, only the calls between closures.
 */
export function compileExpr(e: Expr, input: string, env: CompileEnv): Predicate {
  switch (e.kind) {
    case 'logical': {
      const items = e.items.map((i) => compileExpr(i, input, env));
      if (e.op === 'and') return items.length === 2 ? and2(items[0]!, items[1]!) : (p) => items.every((f) => f(p));
      if (e.op === 'or') return items.length === 2 ? or2(items[0]!, items[1]!) : (p) => items.some((f) => f(p));
      return (p) => {
        let r = false;
        for (let i = 0; i < items.length; i++) r = r !== items[i]!(p);
        return r;
      };
    }
    case 'not': {
      const f = compileExpr(e.arg, input, env);
      return (p) => !f(p);
    }
    case 'bpf': {
      const host = env.bpf;
      if (host === null) throw new ExpressionError(RulesErrorCode.UNKNOWN_NAME, `bpf(${JSON.stringify(e.name)}) needs a program host`, input, e.span.start, e.span.end);
      const name = e.name;
      return (p) => host(name, p) !== 0;
    }
    case 'compare':
      return compileCompare(e.lhs, e.op, e.rhs, input, env);
  }
}

const and2 = (a: Predicate, b: Predicate): Predicate => (p) => a(p) && b(p);
const or2 = (a: Predicate, b: Predicate): Predicate => (p) => a(p) || b(p);

export function compileCompare(lhs: ValueExpr, op: string, rhs: Literal, input: string, env: CompileEnv): Predicate {
  if (lhs.kind === 'bit_slice') return intCompare(bitSliceReader(lhs.base === 'ip' ? ByteBase.IP : ByteBase.UDP, lhs.startBit, lhs.endBit), op, rhs);
  const f = lhs.field;
  if (f.type === 'int') return intSlotCompare(f.slot, op, rhs);
  if (f.type === 'ip') return ipCompare(f.which === 'src' ? 0 : 1, op, rhs, input, env);
  const start = lhs.kind === 'slice' ? lhs.start : 0;
  const length = lhs.kind === 'slice' ? lhs.length : null;
  return bytesCompare(f.base, start, length, op, rhs);
}

// ---- integers -------------------------------------------------------------------------------

/** Integer slots always hold a value once a packet is loaded: the comparisons read the slot directly. */
function intSlotCompare(slot: number, op: string, rhs: Literal): Predicate {
  if (rhs.kind === 'int') {
    const v = rhs.value;
    switch (op as OrderingOp | 'bitwise_and') {
      case 'eq': return (p) => p.ints[slot] === v;
      case 'ne': return (p) => p.ints[slot] !== v;
      case 'lt': return (p) => p.ints[slot]! < v;
      case 'le': return (p) => p.ints[slot]! <= v;
      case 'gt': return (p) => p.ints[slot]! > v;
      case 'ge': return (p) => p.ints[slot]! >= v;
      case 'bitwise_and': return (p) => (p.ints[slot]! & v) !== 0;
    }
  }
  const test = intSetTest(rhs);
  return (p) => test(p.ints[slot]!);
}

/** A reader returning the value, or -1 when the packet is too short for it. */
type IntReader = (p: PacketView) => number;

function intCompare(read: IntReader, op: string, rhs: Literal): Predicate {
  if (rhs.kind === 'int') {
    const v = rhs.value;
    switch (op as OrderingOp | 'bitwise_and') {
      case 'eq': return (p) => { const x = read(p); return x >= 0 && x === v; };
      case 'ne': return (p) => { const x = read(p); return x >= 0 && x !== v; };
      case 'lt': return (p) => { const x = read(p); return x >= 0 && x < v; };
      case 'le': return (p) => { const x = read(p); return x >= 0 && x <= v; };
      case 'gt': return (p) => { const x = read(p); return x >= 0 && x > v; };
      case 'ge': return (p) => { const x = read(p); return x >= 0 && x >= v; };
      case 'bitwise_and': return (p) => { const x = read(p); return x >= 0 && (x & v) !== 0; };
    }
  }
  const test = intSetTest(rhs);
  return (p) => { const x = read(p); return x >= 0 && test(x); };
}

/** `{1 2 1000..2000}`: merged sorted ranges, searched by bisection (a handful of steps for any real set). */
/** Sorted, merged [lo, hi] ranges of an integer set. */
export function mergeRanges(ranges: readonly (readonly [number, number])[]): { lo: number[]; hi: number[] } {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const lo: number[] = [];
  const hi: number[] = [];
  for (const [a, b] of sorted) {
    if (lo.length > 0 && a <= hi[hi.length - 1]! + 1) hi[hi.length - 1] = Math.max(hi[hi.length - 1]!, b);
    else { lo.push(a); hi.push(b); }
  }
  return { lo, hi };
}

export function intSetTest(rhs: Literal): (x: number) => boolean {
  if (rhs.kind !== 'int_set') throw new Error(`bug: integer comparison with ${rhs.kind}`);
  const { lo, hi } = mergeRanges(rhs.ranges);
  const L = Float64Array.from(lo);
  const H = Float64Array.from(hi);
  if (L.length === 1) { const a = L[0]!; const b = H[0]!; return (x) => x >= a && x <= b; }
  return (x) => {
    let l = 0;
    let h = L.length;
    while (l < h) {
      const m = (l + h) >>> 1;
      if (H[m]! < x) l = m + 1;
      else h = m;
    }
    return l < L.length && L[l]! <= x;
  };
}

/** bits [startBit, endBit) from the start of the IP or UDP header, big-endian; -1 past the packet. */
export function bitSliceReader(base: ByteBase, startBit: number, endBit: number): IntReader {
  const firstByte = startBit >>> 3;
  const lastByte = (endBit - 1) >>> 3;
  const width = endBit - startBit;
  const shift = (lastByte + 1) * 8 - endBit;
  const mask = width === 32 ? 0xffffffff : 2 ** width - 1;
  return (p) => {
    const s = p.rangeStart(base);
    if (s + lastByte >= p.rangeEnd(base)) return -1;
    let v = 0;
    for (let i = firstByte; i <= lastByte; i++) v = v * 256 + p.bytes[s + i]!;
    return Math.floor(v / 2 ** shift) % (mask + 1);
  };
}

// ---- addresses ------------------------------------------------------------------------------

function ipCompare(which: 0 | 1, op: string, rhs: Literal, input: string, env: CompileEnv): Predicate {
  const slot4 = which === 0 ? 7 : 8;
  const at6 = which * 4;
  if (rhs.kind === 'ip_set' || rhs.kind === 'list') {
    const list = prefixListOf(rhs, input, env);
    return (p) => (p.version === 4 ? list.lookup4(p.ints[slot4]!) : list.lookup6(p.addr6, at6)) >= 0;
  }
  if (rhs.kind !== 'ip') throw new Error(`bug: address comparison with ${rhs.kind}`);
  const w = rhs.prefix.words;
  const family = rhs.prefix.family;
  // -1, 0, 1: the packet's address against the literal; 2 when the families differ
  const cmp: (p: PacketView) => number = family === 4
    ? (p) => { if (p.version !== 4) return 2; const a = p.ints[slot4]!; return a < w[0]! ? -1 : a > w[0]! ? 1 : 0; }
    : (p) => {
      if (p.version !== 6) return 2;
      const a = p.addr6;
      for (let i = 0; i < 4; i++) if (a[at6 + i] !== w[i]) return a[at6 + i]! < w[i]! ? -1 : 1;
      return 0;
    };
  if (op === 'eq' && family === 4) { const v = w[0]!; return (p) => p.version === 4 && p.ints[slot4] === v; }
  return orderingOf(op as OrderingOp, cmp);
}

/** The PrefixList of a `{…}` set of addresses and CIDRs or of a named list. */
export function prefixListOf(rhs: Literal, input: string, env: CompileEnv): PrefixList {
  if (rhs.kind === 'list') {
    const found = env.lists.get(rhs.name);
    if (!found) throw new ExpressionError(RulesErrorCode.UNKNOWN_LIST, `no list named $${rhs.name}`, input, rhs.span.start, rhs.span.end);
    return found;
  }
  if (rhs.kind !== 'ip_set') throw new Error(`bug: address set from ${rhs.kind}`);
  const b = new PrefixListBuilder();
  for (const prefix of rhs.prefixes) b.add(prefix);
  return b.build();
}

/** An ordering operator over a three-way comparison; 2 = incomparable (only != is true, as wirefilter). */
function orderingOf(op: OrderingOp, cmp: (p: PacketView) => number): Predicate {
  switch (op) {
    case 'eq': return (p) => cmp(p) === 0;
    case 'ne': return (p) => cmp(p) !== 0;
    case 'lt': return (p) => cmp(p) === -1;
    case 'le': { return (p) => { const c = cmp(p); return c === -1 || c === 0; }; }
    case 'gt': return (p) => cmp(p) === 1;
    case 'ge': { return (p) => { const c = cmp(p); return c === 1 || c === 0; }; }
  }
}

// ---- bytes ----------------------------------------------------------------------------------

/**
 * A byte range: the field's range, or a slice of it. A slice that reaches past the packet is
 * absent, and every comparison on an absent value is false (so is `!=`): `not (x == y)` is the
 * way to say "anything but".
 */
function bytesCompare(base: ByteBase, offset: number, length: number | null, op: string, rhs: Literal): Predicate {
  const range = (p: PacketView, out: Int32Array): boolean => {
    const s = p.rangeStart(base) + offset;
    const end = p.rangeEnd(base);
    if (length === null) {
      if (s > end) return false;
      out[0] = s; out[1] = end;
      return true;
    }
    if (s + length > end) return false;
    out[0] = s; out[1] = s + length;
    return true;
  };
  const r = new Int32Array(2); // reused by every call of this comparison: one packet at a time
  if (rhs.kind === 'regex') {
    const re = new RegExp(rhs.source);
    // The one allocation on the packet path: the range as a latin1 string for the RegExp engine.
    return (p) => range(p, r) && re.test(latin1(p.bytes, r[0]!, r[1]!));
  }
  if (rhs.kind === 'bytes_set') {
    const values = rhs.values;
    return (p) => range(p, r) && values.some((v) => compareBytes(p.bytes, r[0]!, r[1]!, v) === 0);
  }
  if (rhs.kind !== 'bytes') throw new Error(`bug: bytes comparison with ${rhs.kind}`);
  const v = rhs.value;
  if (op === 'contains') return (p) => range(p, r) && indexOf(p.bytes, r[0]!, r[1]!, v);
  const ord = op as OrderingOp;
  return (p) => {
    if (!range(p, r)) return false;
    const c = compareBytes(p.bytes, r[0]!, r[1]!, v);
    switch (ord) {
      case 'eq': return c === 0;
      case 'ne': return c !== 0;
      case 'lt': return c < 0;
      case 'le': return c <= 0;
      case 'gt': return c > 0;
      case 'ge': return c >= 0;
    }
  };
}

/** Lexicographic comparison of bytes[start, end) with v: negative, 0 or positive. */
function compareBytes(b: Uint8Array, start: number, end: number, v: Uint8Array): number {
  const n = Math.min(end - start, v.length);
  for (let i = 0; i < n; i++) {
    const d = b[start + i]! - v[i]!;
    if (d !== 0) return d;
  }
  return end - start - v.length;
}

function indexOf(b: Uint8Array, start: number, end: number, v: Uint8Array): boolean {
  const n = v.length;
  if (n === 0) return true;
  const first = v[0]!;
  outer: for (let i = start; i + n <= end; i++) {
    if (b[i] !== first) continue;
    for (let j = 1; j < n; j++) if (b[i + j] !== v[j]) continue outer;
    return true;
  }
  return false;
}
