import type { FieldDef } from './scheme.js';
import type { Prefix } from './ip.js';

/** [start, end) offsets into the expression text, for errors with a caret. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export type LogicalOp = 'and' | 'or' | 'xor';
export type OrderingOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
export type ComparisonOp = OrderingOp | 'bitwise_and' | 'contains' | 'matches' | 'in';

/** Something a comparison reads from the packet. */
export type ValueExpr =
  | { readonly kind: 'field'; readonly field: FieldDef; readonly span: Span }
  /** `field[start:len]`, `field[start-end]`, `field[i]`, `field[start:]` of a bytes field; `length` null = to its end */
  | { readonly kind: 'slice'; readonly field: FieldDef & { type: 'bytes' }; readonly start: number; readonly length: number | null; readonly span: Span }
  /** `bit_slice("ip"|"udp", start_bit, end_bit)`: bits [start, end) */
  | { readonly kind: 'bit_slice'; readonly base: 'ip' | 'udp'; readonly startBit: number; readonly endBit: number; readonly span: Span };

/** The right-hand side of a comparison, already typed by the left side's type. */
export type Literal =
  | { readonly kind: 'int'; readonly value: number; readonly span: Span }
  | { readonly kind: 'ip'; readonly prefix: Prefix; readonly span: Span }
  | { readonly kind: 'bytes'; readonly value: Uint8Array; readonly span: Span }
  | { readonly kind: 'regex'; readonly source: string; readonly span: Span }
  /** `{ 1 2 1000..2000 }`, `{ 192.0.2.0/24 2001:db8::1 }`, `{ "a" "b" }` */
  | { readonly kind: 'int_set'; readonly ranges: readonly (readonly [number, number])[]; readonly span: Span }
  | { readonly kind: 'ip_set'; readonly prefixes: readonly Prefix[]; readonly span: Span }
  | { readonly kind: 'bytes_set'; readonly values: readonly Uint8Array[]; readonly span: Span }
  | { readonly kind: 'list'; readonly name: string; readonly span: Span };

export type Expr =
  | { readonly kind: 'logical'; readonly op: LogicalOp; readonly items: readonly Expr[]; readonly span: Span }
  | { readonly kind: 'not'; readonly arg: Expr; readonly span: Span }
  | { readonly kind: 'compare'; readonly lhs: ValueExpr; readonly op: ComparisonOp; readonly rhs: Literal; readonly span: Span }
  | { readonly kind: 'bpf'; readonly name: string; readonly span: Span };

/** Calls `visit` on every node of an expression, parents first. */
export function walk(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  if (e.kind === 'logical') for (const item of e.items) walk(item, visit);
  else if (e.kind === 'not') walk(e.arg, visit);
}
