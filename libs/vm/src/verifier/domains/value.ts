import * as S from './scalar.js';
import type { Scalar, Thresholds } from './scalar.js';

/*
 * What a register or a spilled stack slot holds: a scalar range or a pointer of a known kind with
 * an offset range. `mixed` is initialised but of no single kind (a join of unlike values).
 */

/** A pointer's offset from the start of its object, in bytes; the ends may be ±Infinity. */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

/** Packet pointers whose base is unknown: checked only by their offset range. */
export const NO_ID = -1;
/** Packet pointers derived from `data` by constants: `fix` is their exact offset. */
export const DATA_ID = 0;

export type Value =
  | { readonly t: 'uninit' }
  /** `id` (1 + the slot of a register copy) ties copies together, so a comparison refines them all. */
  | { readonly t: 'scalar'; readonly v: Scalar; readonly id?: number }
  | { readonly t: 'ctx'; readonly off: Range }
  /**
   * `id` names the pointer's base (DATA_ID, NO_ID, or 1 + the slot that added a variable offset);
   * `fix` is the constant added since, so a proof for (id, fix) covers every copy of the pointer.
   */
  | { readonly t: 'packet'; readonly region: string; readonly off: Range; readonly id: number; readonly fix: number }
  | { readonly t: 'packet-end'; readonly region: string }
  | { readonly t: 'stack'; readonly frame: number; readonly off: Range }
  /** `id`/`fix` as for packets (NO_ID when the offset is exact or untracked). */
  | { readonly t: 'region'; readonly region: string; readonly off: Range; readonly id: number; readonly fix: number }
  | { readonly t: 'map'; readonly map: number }
  | { readonly t: 'map-value'; readonly map: number; readonly off: Range }
  /** `id` (1 + the call's slot) ties copies together, so one null check refines them all. */
  | { readonly t: 'map-value-or-null'; readonly map: number; readonly off: Range; readonly id: number }
  | { readonly t: 'mixed' };

export type PointerValue = Extract<Value, { off: Range }>;

export const UNINIT: Value = { t: 'uninit' };
export const MIXED: Value = { t: 'mixed' };
export const UNKNOWN_SCALAR: Value = { t: 'scalar', v: S.TOP };

export const scalar = (v: Scalar): Value => ({ t: 'scalar', v });
export const exact = (n: number): Range => ({ lo: n, hi: n });
export const regionPointer = (region: string, offset: number): Value => ({ t: 'region', region, off: exact(offset), id: NO_ID, fix: 0 });
export const isExact = (r: Range): boolean => r.lo === r.hi;

export function isPointer(v: Value): v is PointerValue {
  return 'off' in v;
}

const LIMIT = 2 ** 50;
const toOffset = (x: bigint, infinity: number): number => (x > BigInt(LIMIT) || x < -BigInt(LIMIT) ? infinity : Number(x));

/** The signed range of a scalar as a pointer offset delta. */
export function offsetRange(x: Scalar): Range {
  return { lo: toOffset(x.smin, -Infinity), hi: toOffset(x.smax, Infinity) };
}

export const shift = (r: Range, d: Range): Range => ({ lo: r.lo + d.lo, hi: r.hi + d.hi });
export const unshift = (r: Range, d: Range): Range => ({ lo: r.lo - d.hi, hi: r.hi - d.lo });
const joinRange = (a: Range, b: Range): Range => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) });
const widenRange = (old: Range, next: Range): Range => ({
  lo: next.lo < old.lo ? -Infinity : old.lo,
  hi: next.hi > old.hi ? Infinity : old.hi,
});
const sameRange = (a: Range, b: Range): boolean => a.lo === b.lo && a.hi === b.hi;

export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'scalar': return a.id === (b as typeof a).id && S.equals(a.v, (b as typeof a).v);
    case 'ctx': return sameRange(a.off, (b as typeof a).off);
    case 'packet': {
      const o = b as typeof a;
      return a.region === o.region && a.id === o.id && a.fix === o.fix && sameRange(a.off, o.off);
    }
    case 'packet-end': return a.region === (b as typeof a).region;
    case 'stack': return a.frame === (b as typeof a).frame && sameRange(a.off, (b as typeof a).off);
    case 'region': {
      const o = b as typeof a;
      return a.region === o.region && a.id === o.id && a.fix === o.fix && sameRange(a.off, o.off);
    }
    case 'map': return a.map === (b as typeof a).map;
    case 'map-value': return a.map === (b as typeof a).map && sameRange(a.off, (b as typeof a).off);
    case 'map-value-or-null': {
      const o = b as typeof a;
      return a.map === o.map && a.id === o.id && sameRange(a.off, o.off);
    }
    default: return true;
  }
}

/** Least upper bound; when widening, growing bounds jump to a threshold or infinity. */
export function joinValues(a: Value, b: Value, widening: Thresholds | null = null): Value {
  if (valueEquals(a, b)) return a;
  if (a.t === 'uninit' || b.t === 'uninit') return UNINIT;
  if (a.t !== b.t) return MIXED;
  const range = (x: Range, y: Range): Range => (widening ? widenRange(x, y) : joinRange(x, y));
  switch (a.t) {
    case 'scalar': {
      const o = b as typeof a;
      const v = widening ? S.widen(a.v, o.v, widening) : S.join(a.v, o.v);
      return a.id !== undefined && a.id === o.id ? { t: 'scalar', v, id: a.id } : scalar(v);
    }
    case 'ctx': return { t: 'ctx', off: range(a.off, (b as typeof a).off) };
    case 'packet': {
      const o = b as typeof a;
      if (a.region !== o.region) return MIXED;
      const same = a.id === o.id && a.fix === o.fix;
      return { t: 'packet', region: a.region, off: range(a.off, o.off), id: same ? a.id : NO_ID, fix: same ? a.fix : 0 };
    }
    case 'stack': {
      const o = b as typeof a;
      return a.frame === o.frame ? { t: 'stack', frame: a.frame, off: range(a.off, o.off) } : MIXED;
    }
    case 'region': {
      const o = b as typeof a;
      if (a.region !== o.region) return MIXED;
      const same = a.id === o.id && a.fix === o.fix;
      return { t: 'region', region: a.region, off: range(a.off, o.off), id: same ? a.id : NO_ID, fix: same ? a.fix : 0 };
    }
    case 'map-value': {
      const o = b as typeof a;
      return a.map === o.map ? { t: 'map-value', map: a.map, off: range(a.off, o.off) } : MIXED;
    }
    case 'map-value-or-null': {
      const o = b as typeof a;
      return a.map === o.map && a.id === o.id ? { t: 'map-value-or-null', map: a.map, id: a.id, off: range(a.off, o.off) } : MIXED;
    }
    default:
      // packet-end of different regions, different maps
      return MIXED;
  }
}

export function formatRange(r: Range): string {
  if (r.lo === r.hi) return String(r.lo);
  return `[${r.lo === -Infinity ? '-inf' : r.lo}, ${r.hi === Infinity ? 'inf' : r.hi}]`;
}

/** For messages: "packet pointer at offset 14", "scalar in [0, 255]". */
export function describeValue(v: Value, mapName: (map: number) => string = String): string {
  switch (v.t) {
    case 'uninit': return 'uninitialised';
    case 'scalar': return S.describe(v.v);
    case 'ctx': return `context pointer at offset ${formatRange(v.off)}`;
    case 'packet': return `packet pointer at offset ${formatRange(v.off)}`;
    case 'packet-end': return 'packet end pointer';
    case 'stack': return `stack pointer at offset ${formatRange(v.off)}`;
    case 'region': return `pointer into ${v.region} at offset ${formatRange(v.off)}`;
    case 'map': return `map ${mapName(v.map)}`;
    case 'map-value': return `map value pointer (${mapName(v.map)}) at offset ${formatRange(v.off)}`;
    case 'map-value-or-null': return `map value pointer or null (${mapName(v.map)})`;
    case 'mixed': return 'a value of unknown kind (scalar or pointer, depending on the path)';
  }
}
