import type { ComparisonOp, OrderingOp, ValueExpr } from './ast.js';
import type { ValueType } from './scheme.js';

/*
 * The type check: which operators each type of value takes, and what the right-hand side must be.
 * The parser consults it before lexing a literal, so `udp.dstport contains 1` or
 * `ip.src matches "x"` fail at the operator, with a caret under it.
 */

export const ORDERING_OPS: readonly OrderingOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

const OPS: Readonly<Record<Exclude<ValueType, 'bool'>, readonly ComparisonOp[]>> = {
  int: [...ORDERING_OPS, 'bitwise_and', 'in'],
  ip: [...ORDERING_OPS, 'in'],
  bytes: [...ORDERING_OPS, 'contains', 'matches', 'in'],
};

export function valueType(v: ValueExpr): 'int' | 'ip' | 'bytes' {
  if (v.kind === 'bit_slice') return 'int';
  return v.field.type;
}

/** null when `op` applies to the value, or the reason it does not. */
export function checkOperator(v: ValueExpr, op: ComparisonOp): string | null {
  const type = valueType(v);
  if (OPS[type].includes(op)) return null;
  return `${describe(v)} is ${article(type)}; ${op} does not apply (it takes ${OPS[type].join(', ')})`;
}

const article = (t: string) => (t === 'int' ? 'an integer' : t === 'ip' ? 'an IP address' : 'bytes');

export function describe(v: ValueExpr): string {
  return v.kind === 'bit_slice' ? 'bit_slice(…)' : v.kind === 'slice' ? `${v.field.name}[…]` : v.field.name;
}
