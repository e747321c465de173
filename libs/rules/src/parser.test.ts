import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExpressionError } from './errors.js';
import { parseExpression } from './parser.js';
import type { Expr } from './ast.js';

/** A compact rendering of the AST shape: precedence shows as nesting. */
function shape(e: Expr): string {
  if (e.kind === 'logical') return `${e.op}(${e.items.map(shape).join(', ')})`;
  if (e.kind === 'not') return `not(${shape(e.arg)})`;
  if (e.kind === 'bpf') return `bpf(${e.name})`;
  const lhs = e.lhs.kind === 'bit_slice' ? 'bits' : e.lhs.field.name;
  const rhs = e.rhs.kind === 'int' ? String(e.rhs.value) : e.rhs.kind;
  return `${lhs} ${e.op} ${rhs}`;
}

const P = 'udp.dstport == 1';
test('rules parser - precedence is or < xor < and < not, as wirefilter', () => {
  assert.equal(shape(parseExpression(`${P} or ${P} and ${P}`)), 'or(udp.dstport eq 1, and(udp.dstport eq 1, udp.dstport eq 1))');
  assert.equal(shape(parseExpression(`${P} xor ${P} and ${P}`)), 'xor(udp.dstport eq 1, and(udp.dstport eq 1, udp.dstport eq 1))');
  assert.equal(shape(parseExpression(`${P} or ${P} xor ${P}`)), 'or(udp.dstport eq 1, xor(udp.dstport eq 1, udp.dstport eq 1))');
  assert.equal(shape(parseExpression(`not ${P} and ${P}`)), 'and(not(udp.dstport eq 1), udp.dstport eq 1)');
  assert.equal(shape(parseExpression(`!(${P} || ${P}) && ${P} ^^ ${P}`)), 'xor(and(not(or(udp.dstport eq 1, udp.dstport eq 1)), udp.dstport eq 1), udp.dstport eq 1)');
});

test('rules parser - word and symbol operators are the same', () => {
  const pairs = [['eq', '=='], ['ne', '!='], ['lt', '<'], ['le', '<='], ['gt', '>'], ['ge', '>='], ['bitwise_and', '&']];
  for (const [w, s] of pairs) assert.equal(shape(parseExpression(`udp.srcport ${w} 5`)), shape(parseExpression(`udp.srcport ${s} 5`)));
  assert.equal(shape(parseExpression('udp.payload ~ "a"')), shape(parseExpression('udp.payload matches "a"')));
});

test('rules parser - integer literals as wirefilter: decimal, 0x hex, leading 0 octal, negative', () => {
  const value = (src: string) => { const e = parseExpression(`udp.length == ${src}`); return e.kind === 'compare' && e.rhs.kind === 'int' ? e.rhs.value : NaN; };
  assert.equal(value('17'), 17);
  assert.equal(value('0x1f'), 31);
  assert.equal(value('017'), 15);
  assert.equal(value('0'), 0);
  assert.equal(value('-3'), -3);
});

test('rules parser - ip.proto takes a number or a protocol name', () => {
  const e = parseExpression('ip.proto == "udp"');
  assert.ok(e.kind === 'compare' && e.rhs.kind === 'int' && e.rhs.value === 17);
  const s = parseExpression('ip.proto in {"tcp" 17 "icmp"}');
  assert.ok(s.kind === 'compare' && s.rhs.kind === 'int_set' && s.rhs.ranges.length === 3);
});

test('rules parser - errors name line and column with a caret under the token', () => {
  const cases: [string, number, number, string][] = [
    ['udp.dstport == abc', 1, 16, 'expected an integer'],
    ['udp.dstport == 1 and\n  ip.src == 1.2.3.0/24', 2, 13, 'CIDR compares only inside a set'],
    ['udp.dsport == 1', 1, 1, 'unknown field "udp.dsport"'],
    ['ip.src contains "x"', 1, 8, 'contains does not apply'],
    ['bit_slice("tcp", 0, 8) == 1', 1, 11, 'bit_slice reads "ip" or "udp"'],
    ['bit_slice("udp", 0, 40) == 1', 1, 21, 'at most 32 bits'],
    ['udp.payload[0:4] == 0xabc', 1, 21, 'even number of digits'],
    ['udp.dstport in {2000..1000}', 1, 17, 'ends before it starts'],
    ['udp.payload matches "("', 1, 21, 'invalid regular expression'],
    ['udp.dstport == 1 udp.srcport == 2', 1, 18, 'expected and, or, xor'],
    ['ip.src in $Bad', 1, 11, 'a list name is'],
    ['udp.srcport in $abusers', 1, 16, 'lists hold IP prefixes'],
    ['', 1, 1, 'expected an expression'],
  ];
  for (const [input, line, column, reason] of cases) {
    assert.throws(() => parseExpression(input), (err: unknown) => {
      assert.ok(err instanceof ExpressionError, `${input}: ${String(err)}`);
      assert.equal(err.line, line, `${input}: line`);
      assert.equal(err.column, column, `${input}: column (${err.message})`);
      assert.match(err.reason, new RegExp(reason.replace(/[()[\]{}.*+?^$|\\]/g, '\\$&')));
      const [, text, caret] = err.message.split('\n');
      assert.equal(caret!.indexOf('^'), column - 1, `${input}: caret under the column`);
      assert.equal(text, input.split('\n')[line - 1]);
      return true;
    });
  }
});

test('rules parser - nesting beyond the limit is its own error', () => {
  const deep = '('.repeat(200) + P + ')'.repeat(200);
  assert.throws(() => parseExpression(deep), (e: unknown) => e instanceof ExpressionError && e.code === 'FS_ERR_RULES_LIMIT');
  assert.doesNotThrow(() => parseExpression('('.repeat(100) + P + ')'.repeat(100)));
});
