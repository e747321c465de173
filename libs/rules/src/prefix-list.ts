import { RulesError, RulesErrorCode } from './errors.js';
import { formatPrefix, parsePrefix, type Prefix } from './ip.js';

/**
 * A set of IPv4 and IPv6 prefixes with longest-prefix lookup, for `ip.src in $name` and for
 * literal sets of CIDRs. The prefixes are flattened once into disjoint address intervals, each
 * labelled with its longest covering prefix (or none); a lookup finds its interval by a binary
 * search started, for lists of more than a few hundred intervals, from a 65,536-entry index on
 * the top 16 address bits. An IPv4 bucket's starts sit next to their labels (the last steps and
 * the label share cache lines); an IPv6 bucket is searched first on bits 16–47 of each start,
 * packed apart (a 20-byte interval per step would be a cache miss per step), and only starts equal
 * in those bits are told apart by their full address. O(log n) over typed arrays, no allocation.
 * IPv4 and IPv6 are separate tables: an IPv4 packet is looked up only among IPv4 prefixes.
 */
/** PrefixList.toBuilt's form: the prefixes and the lookup structure built from them. */
export interface BuiltPrefixList {
  readonly v4Addr: Uint32Array; readonly v4Len: Uint8Array; readonly v6Addr: Uint32Array; readonly v6Len: Uint8Array;
  readonly iv4: Uint32Array; readonly index4: Uint32Array | null; readonly iv6: Uint32Array; readonly index6: Uint32Array | null;
}

export class PrefixList {
  /** intervals: [start, label] pairs (IPv4), [4 start words, label] quintuples (IPv6); label 0xffffffff = none */
  private readonly iv4: Uint32Array;
  private readonly n4: number;
  private readonly index4: Uint32Array | null;
  private readonly iv6: Uint32Array;
  private readonly n6: number;
  private readonly index6: Uint32Array | null;
  /** with index6: bits 16–47 of each IPv6 interval start */
  private readonly mid6: Uint32Array;

  /**
   * The prefixes themselves, sorted by (address, length) and without duplicates: `v4Addr[i]`
   * with length `v4Len[i]`; IPv6 addresses take four words each. Lookups return indexes into these.
   */
  private constructor(
    readonly v4Addr: Uint32Array, readonly v4Len: Uint8Array,
    readonly v6Addr: Uint32Array, readonly v6Len: Uint8Array,
    built?: BuiltPrefixList,
  ) {
    // a label next to its start: the last step of a search reads the label from the same cache line
    this.iv4 = built?.iv4 ?? interleave(...intervals(v4Addr, v4Len, 1), 1);
    this.n4 = this.iv4.length / 2;
    this.index4 = built ? built.index4 : topIndex(this.iv4, 2);
    this.iv6 = built?.iv6 ?? interleave(...intervals(v6Addr, v6Len, 4), 4);
    this.n6 = this.iv6.length / 5;
    this.index6 = built ? built.index6 : topIndex(this.iv6, 5);
    this.mid6 = new Uint32Array(this.index6 === null ? 0 : this.n6);
    for (let k = 0; k < this.mid6.length; k++) this.mid6[k] = midBits6(this.iv6[k * 5]!, this.iv6[k * 5 + 1]!);
  }

  /**
   * The built list as structured-clone data (typed arrays only), so one thread builds a big list
   * and the others adopt it with `fromBuilt` without building again (the edge's packet workers).
   */
  toBuilt(): BuiltPrefixList {
    const { v4Addr, v4Len, v6Addr, v6Len, iv4, index4, iv6, index6 } = this;
    return { v4Addr, v4Len, v6Addr, v6Len, iv4, index4, iv6, index6 };
  }

  /** A list from `toBuilt`'s data, checked for shape (it crossed a thread boundary, not a trust one). */
  static fromBuilt(b: BuiltPrefixList): PrefixList {
    const ok = b.v4Addr.length === b.v4Len.length && b.v6Addr.length === b.v6Len.length * 4 && b.iv4.length % 2 === 0 && b.iv6.length % 5 === 0
      && (b.index4 === null || b.index4.length === 65537) && (b.index6 === null || b.index6.length === 65537);
    if (!ok) throw new RulesError(RulesErrorCode.LIST, 'a built prefix list has inconsistent arrays');
    return new PrefixList(b.v4Addr, b.v4Len, b.v6Addr, b.v6Len, b);
  }

  get size(): number {
    return this.v4Len.length + this.v6Len.length;
  }

  /**
   * From prefixes already sorted by (address, length) with no duplicate (what a decoded list file
   * holds); throws RulesError LIST otherwise.
   */
  static fromSorted(v4Addr: Uint32Array, v4Len: Uint8Array, v6Addr: Uint32Array, v6Len: Uint8Array): PrefixList {
    for (let i = 1; i < v4Len.length; i++) {
      if (compare4(v4Addr, v4Len, i - 1, i) >= 0) throw new RulesError(RulesErrorCode.LIST, `IPv4 prefixes are not sorted and unique at ${i}`);
    }
    for (let i = 1; i < v6Len.length; i++) {
      if (compare6(v6Addr, v6Len, i - 1, i) >= 0) throw new RulesError(RulesErrorCode.LIST, `IPv6 prefixes are not sorted and unique at ${i}`);
    }
    return new PrefixList(v4Addr, v4Len, v6Addr, v6Len);
  }

  /** From prefix texts (`192.0.2.0/24`, `2001:db8::1`); throws RulesError LIST naming the bad entry. */
  static fromTexts(texts: Iterable<string>, what = 'list'): PrefixList {
    const b = new PrefixListBuilder();
    let n = 0;
    for (const text of texts) {
      const p = parsePrefix(text);
      if (typeof p === 'string') throw new RulesError(RulesErrorCode.LIST, `${what} entry ${n}: ${p}`);
      b.add(p);
      n++;
    }
    return b.build();
  }

  /** The longest IPv4 prefix containing `addr` (an unsigned 32-bit number): its index, or -1. */
  lookup4(addr: number): number {
    const s = this.iv4;
    const index = this.index4;
    let lo = 0;
    let hi = this.n4;
    if (index !== null) {
      const h = addr >>> 16;
      lo = index[h]!;
      if (lo > 0) lo--;
      hi = index[h + 1]!;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      if (s[mid * 2]! <= addr) lo = mid;
      else hi = mid;
    }
    return s[lo * 2 + 1]! | 0;
  }

  /** The longest IPv6 prefix containing the address in `words[at, at + 4)`: its index, or -1. */
  lookup6(words: Uint32Array, at: number): number {
    const s = this.iv6;
    const index = this.index6;
    const a0 = words[at]!;
    const a1 = words[at + 1]!;
    const a2 = words[at + 2]!;
    const a3 = words[at + 3]!;
    let lo = 0;
    let hi = this.n6;
    if (index !== null) {
      const h = a0 >>> 16;
      const key = midBits6(a0, a1);
      const m6 = this.mid6;
      let l = index[h]!;
      let r = index[h + 1]!;
      const first = l;
      while (l < r) {
        const mid = (l + r) >>> 1;
        if (m6[mid]! <= key) l = mid + 1;
        else r = mid;
      }
      // l - 1: the last start whose bits 0–47 are <= the address's. Unless they are equal, it is
      // the answer; if they are, the full addresses decide among the starts sharing those bits.
      if (l === first || m6[l - 1] !== key) return s[(l - 1) * 5 + 4]! | 0;
      hi = l;
      r = l - 1;
      l = first;
      while (l < r) {
        const mid = (l + r) >>> 1;
        if (m6[mid]! < key) l = mid + 1;
        else r = mid;
      }
      lo = l - 1;
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const m = mid * 5;
      const x0 = s[m]!;
      let le: boolean;
      if (x0 !== a0) le = x0 < a0;
      else {
        const x1 = s[m + 1]!;
        if (x1 !== a1) le = x1 < a1;
        else {
          const x2 = s[m + 2]!;
          le = x2 !== a2 ? x2 < a2 : s[m + 3]! <= a3;
        }
      }
      if (le) lo = mid;
      else hi = mid;
    }
    return s[lo * 5 + 4]! | 0;
  }

  /** The prefix at a lookup's index, as text. */
  prefixText(family: 4 | 6, index: number): string {
    return formatPrefix(this.prefix(family, index));
  }

  prefix(family: 4 | 6, index: number): Prefix {
    return family === 4
      ? { family, words: [this.v4Addr[index]!], length: this.v4Len[index]! }
      : { family, words: [...this.v6Addr.subarray(index * 4, index * 4 + 4)], length: this.v6Len[index]! };
  }

  *texts(): Generator<string> {
    for (let i = 0; i < this.v4Len.length; i++) yield this.prefixText(4, i);
    for (let i = 0; i < this.v6Len.length; i++) yield this.prefixText(6, i);
  }
}

/** Collects prefixes in growable typed arrays (a million Prefix objects would cost far more), then sorts and builds. */
export class PrefixListBuilder {
  private v4Addr = new Uint32Array(1024);
  private v4Len = new Uint8Array(1024);
  private n4 = 0;
  private v6Addr = new Uint32Array(4096);
  private v6Len = new Uint8Array(1024);
  private n6 = 0;

  add(p: Prefix): void {
    if (p.family === 4) this.add4(p.words[0]!, p.length);
    else this.add6(p.words, p.length);
  }

  add4(addr: number, length: number): void {
    if (this.n4 === this.v4Len.length) [this.v4Addr, this.v4Len] = [grow32(this.v4Addr, 2), grow8(this.v4Len)];
    this.v4Addr[this.n4] = addr;
    this.v4Len[this.n4++] = length;
  }

  add6(words: ArrayLike<number>, length: number): void {
    if (this.n6 === this.v6Len.length) [this.v6Addr, this.v6Len] = [grow32(this.v6Addr, 2), grow8(this.v6Len)];
    const at = this.n6 * 4;
    for (let w = 0; w < 4; w++) this.v6Addr[at + w] = words[w]!;
    this.v6Len[this.n6++] = length;
  }

  build(): PrefixList {
    const [a4, l4] = sortUnique(this.v4Addr.subarray(0, this.n4), this.v4Len.subarray(0, this.n4), 1);
    const [a6, l6] = sortUnique(this.v6Addr.subarray(0, this.n6 * 4), this.v6Len.subarray(0, this.n6), 4);
    return PrefixList.fromSorted(a4, l4, a6, l6);
  }
}

const grow32 = (a: Uint32Array, f: number) => { const b = new Uint32Array(a.length * f); b.set(a); return b; };
const grow8 = (a: Uint8Array) => { const b = new Uint8Array(a.length * 2); b.set(a); return b; };

function compare4(addr: Uint32Array, len: Uint8Array, i: number, j: number): number {
  return addr[i]! !== addr[j]! ? addr[i]! - addr[j]! : len[i]! - len[j]!;
}

function compare6(addr: Uint32Array, len: Uint8Array, i: number, j: number): number {
  for (let w = 0; w < 4; w++) {
    const x = addr[i * 4 + w]!;
    const y = addr[j * 4 + w]!;
    if (x !== y) return x - y;
  }
  return len[i]! - len[j]!;
}

/**
 * Sorts prefixes by (address, length) and drops repeats. IPv4: address × 64 + length is exact in
 * a double, so a Float64Array sorts natively. IPv6: the indexes sort with a comparator that looks
 * first at the top 52 bits held in a double, then at the words.
 */
function sortUnique(addr: Uint32Array, len: Uint8Array, width: number): [Uint32Array, Uint8Array] {
  const n = len.length;
  let order: ArrayLike<number>;
  if (width === 1) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = addr[i]! * 64 + len[i]!;
    keys.sort();
    const outAddr = new Uint32Array(n);
    const outLen = new Uint8Array(n);
    let m = 0;
    for (let k = 0; k < n; k++) {
      if (k > 0 && keys[k] === keys[k - 1]) continue;
      outAddr[m] = Math.floor(keys[k]! / 64);
      outLen[m++] = keys[k]! % 64;
    }
    return [outAddr.slice(0, m), outLen.slice(0, m)];
  }
  const top = new Float64Array(n);
  for (let i = 0; i < n; i++) top[i] = addr[i * 4]! * 1048576 + (addr[i * 4 + 1]! >>> 12);
  order = new Uint32Array(n).map((_, i) => i).sort((i, j) => top[i]! - top[j]! || compare6(addr, len, i, j));
  const outAddr = new Uint32Array(n * 4);
  const outLen = new Uint8Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (k > 0 && compare6(addr, len, order[k - 1]!, i) === 0) continue;
    for (let w = 0; w < 4; w++) outAddr[m * 4 + w] = addr[i * 4 + w]!;
    outLen[m++] = len[i]!;
  }
  return [outAddr.slice(0, m * 4), outLen.slice(0, m)];
}

/**
 * Flattens sorted, nested-or-disjoint prefixes into interval starts and labels: interval k is
 * [starts[k], starts[k + 1]) and its longest covering prefix is vals[k] (-1: none). A stack holds
 * the prefixes open at the sweep's position; leaving one hands the rest of its parent's range back
 * to the parent. Addresses are `width` 32-bit words (1 for IPv4, 4 for IPv6), all in typed arrays.
 */
function intervals(addr: Uint32Array, len: Uint8Array, width: number): [Uint32Array, Int32Array] {
  const n = len.length;
  const starts = new Uint32Array((2 * n + 1) * width);
  const vals = new Int32Array(2 * n + 1);
  vals[0] = -1;
  let m = 1;
  const stackEnd = new Uint32Array((width * 32 + 1) * width);
  const stackIdx = new Int32Array(width * 32 + 1);
  let depth = 0;
  const next = new Uint32Array(width);
  const emit = (src: Uint32Array, at: number, val: number) => {
    const last = (m - 1) * width;
    let same = true;
    for (let w = 0; w < width && same; w++) same = starts[last + w] === src[at + w];
    if (same) vals[m - 1] = val;
    else if (vals[m - 1] !== val) {
      for (let w = 0; w < width; w++) starts[m * width + w] = src[at + w]!;
      vals[m++] = val;
    }
  };
  /** pops the prefixes that end before the address at addr[at] (all of them when at < 0) */
  const close = (at: number) => {
    while (depth > 0) {
      const top = (depth - 1) * width;
      if (at >= 0) {
        let less = false;
        for (let w = 0; w < width; w++) {
          if (stackEnd[top + w] !== addr[at + w]) { less = stackEnd[top + w]! < addr[at + w]!; break; }
        }
        if (!less) return;
      }
      depth--;
      // the address after the popped prefix's end; none past the top of the address space
      let carry = 1;
      for (let w = width - 1; w >= 0; w--) {
        const v = stackEnd[top + w]! + carry;
        carry = v > 0xffffffff ? 1 : 0;
        next[w] = v >>> 0;
      }
      if (carry === 0) emit(next, 0, depth > 0 ? stackIdx[depth - 1]! : -1);
    }
  };
  for (let i = 0; i < n; i++) {
    const at = i * width;
    close(at);
    emit(addr, at, i);
    const l = len[i]!;
    for (let w = 0; w < width; w++) {
      const keep = Math.max(0, Math.min(32, l - w * 32));
      stackEnd[depth * width + w] = (addr[at + w]! | (keep === 32 ? 0 : 0xffffffff >>> keep)) >>> 0;
    }
    stackIdx[depth++] = i;
  }
  close(-1);
  return [starts.slice(0, m * width), vals.slice(0, m)];
}

function interleave(starts: Uint32Array, vals: Int32Array, width: number): Uint32Array {
  const n = vals.length;
  const out = new Uint32Array(n * (width + 1));
  for (let k = 0; k < n; k++) {
    for (let w = 0; w < width; w++) out[k * (width + 1) + w] = starts[k * width + w]!;
    out[k * (width + 1) + width] = vals[k]! >>> 0;
  }
  return out;
}

/** Bits 16–47 of an IPv6 address, from its first two words: what a top-16 bucket searches on. */
function midBits6(w0: number, w1: number): number {
  return (((w0 & 0xffff) << 16) | (w1 >>> 16)) >>> 0;
}

/** below this many intervals a plain bisection is as quick, and a set costs no 256 KB index */
const INDEX_FROM = 512;

/** index[h] = the first interval whose start's top 16 bits are ≥ h (index[65536] = the count). */
function topIndex(starts: Uint32Array, stride: number): Uint32Array | null {
  const n = starts.length / stride;
  if (n < INDEX_FROM) return null;
  const index = new Uint32Array(65537);
  let k = 0;
  for (let h = 0; h <= 65536; h++) {
    while (k < n && starts[k * stride]! >>> 16 < h) k++;
    index[h] = k;
  }
  return index;
}
