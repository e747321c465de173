import { DATA_ID, NO_ID, type Range, type Value } from './value.js';

/*
 * Differences between pointer bases (PREVAIL's relational domain, cut down to what programs
 * need): `base(j) - base(i)` in a range, for base ids i < j (each a variable offset added at one
 * slot, see value.ts). A comparison of two pointers with different bases records one; the
 * distance between them (`data_end - p`) reads it back, so it keeps what the branch proved.
 */
export class Relations {
  constructor(private readonly map: Map<string, Range> = new Map()) {}

  clone(): Relations {
    return new Relations(new Map(this.map));
  }

  /** The range of `base(to) - base(from)`, or null when nothing is known. */
  get(from: number, to: number): Range | null {
    if (from === to) return { lo: 0, hi: 0 };
    const r = this.map.get(key(from, to));
    if (!r) return null;
    return from < to ? r : { lo: -r.hi, hi: -r.lo };
  }

  /** Narrows `base(to) - base(from)` to `range`; false when that leaves nothing (the branch cannot be taken). */
  add(from: number, to: number, range: Range): boolean {
    if (from === to) return range.lo <= 0 && range.hi >= 0;
    const own = from < to ? range : { lo: -range.hi, hi: -range.lo };
    const k = key(from, to);
    const old = this.map.get(k);
    const next = old ? { lo: Math.max(old.lo, own.lo), hi: Math.min(old.hi, own.hi) } : own;
    if (next.lo > next.hi) return false;
    this.map.set(k, next);
    return true;
  }

  /** A base id reused for a new value: what was known about the old one no longer holds. */
  drop(id: number): void {
    for (const k of this.map.keys()) {
      const [a, b] = k.split(':');
      if (Number(a) === id || Number(b) === id) this.map.delete(k);
    }
  }

  /** What holds on both paths (the wider range); when widening, a range that grew is dropped. */
  join(other: Relations, widening: boolean): Relations {
    const out = new Map<string, Range>();
    for (const [k, a] of this.map) {
      const b = other.map.get(k);
      if (!b) continue;
      const lo = Math.min(a.lo, b.lo);
      const hi = Math.max(a.hi, b.hi);
      if (widening && (lo < a.lo || hi > a.hi)) continue;
      out.set(k, { lo, hi });
    }
    return new Relations(out);
  }

  equals(other: Relations): boolean {
    if (this.map.size !== other.map.size) return false;
    for (const [k, a] of this.map) {
      const b = other.map.get(k);
      if (!b || b.lo !== a.lo || b.hi !== a.hi) return false;
    }
    return true;
  }
}

const key = (a: number, b: number): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * A tracked pointer as `base(id) + fix`: DATA_ID is the object's start (offset 0), so a pointer
 * at an exact offset has that base too. Null when its offset is neither exact nor tied to a base.
 */
export function symbolic(v: Extract<Value, { t: 'packet' | 'region' }>): { id: number; fix: number } | null {
  if (v.id !== NO_ID) return { id: v.id, fix: v.fix };
  return v.off.lo === v.off.hi ? { id: DATA_ID, fix: v.off.lo } : null;
}
