import type { ComparisonOp, Expr, Literal, LogicalOp, OrderingOp, Span, ValueExpr } from './ast.js';
import { checkOperator, describe, valueType } from './check.js';
import { RulesErrorCode } from './errors.js';
import { parsePrefix, type Prefix } from './ip.js';
import { Lexer } from './lexer.js';
import { BIT_SLICE_MAX_OFFSET, BIT_SLICE_MAX_WIDTH, FIELDS, FUNCTIONS } from './scheme.js';

/** Limits, as wirefilter's ParserSettings: each exceeded one is its own error (code LIMIT). */
export interface ParserSettings {
  /** parentheses and `not` nested deeper than this */
  maxNestingDepth: number;
  /** characters in one expression */
  maxLength: number;
  /** items in one `{…}` set */
  maxSetSize: number;
  /** characters of one regular expression */
  maxRegexLength: number;
}

export const DEFAULT_PARSER_SETTINGS: Readonly<ParserSettings> = {
  maxNestingDepth: 128,
  maxLength: 65_536,
  maxSetSize: 100_000,
  maxRegexLength: 4_096,
};

const MAX_SLICE_OFFSET = 65_535;
const BPF_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Word and symbol spellings of the comparison operators; longer symbols first. */
const OPERATOR_SPELLINGS: readonly (readonly [string, ComparisonOp])[] = [
  ['==', 'eq'], ['!=', 'ne'], ['<=', 'le'], ['>=', 'ge'], ['<', 'lt'], ['>', 'gt'], ['~', 'matches'],
  ['eq', 'eq'], ['ne', 'ne'], ['le', 'le'], ['ge', 'ge'], ['lt', 'lt'], ['gt', 'gt'],
  ['bitwise_and', 'bitwise_and'], ['contains', 'contains'], ['matches', 'matches'], ['in', 'in'],
];

/** Logical operators by precedence, lowest first (wirefilter: or < xor < and < not). */
const LOGICAL: readonly (readonly [LogicalOp, readonly string[]])[] = [
  ['or', ['or', '||']],
  ['xor', ['xor', '^^']],
  ['and', ['and', '&&']],
];

/**
 * Parses and type-checks one expression against the scheme. Throws ExpressionError (with line,
 * column and a caret) at the first problem; returns the typed AST.
 */
export function parseExpression(input: string, settings: Partial<ParserSettings> = {}): Expr {
  const s = { ...DEFAULT_PARSER_SETTINGS, ...settings };
  const lx = new Lexer(input);
  if (input.length > s.maxLength) lx.fail(RulesErrorCode.LIMIT, `expression is ${input.length} characters long; the limit is ${s.maxLength}`, s.maxLength, input.length);
  if (lx.atEnd()) lx.expected('an expression');
  const p = new Parser(lx, s);
  const e = p.logical(0);
  if (!lx.atEnd()) lx.expected('and, or, xor or the end of the expression');
  return e;
}

class Parser {
  private depth = 0;
  constructor(private readonly lx: Lexer, private readonly settings: ParserSettings) {}

  logical(level: number): Expr {
    if (level === LOGICAL.length) return this.unary();
    const [op, spellings] = LOGICAL[level]!;
    const start = this.startPos();
    const items = [this.logical(level + 1)];
    while (this.eatWordOrSymbol(spellings)) items.push(this.logical(level + 1));
    return items.length === 1 ? items[0]! : { kind: 'logical', op, items, span: this.lx.span(start) };
  }

  private unary(): Expr {
    const start = this.startPos();
    if (this.eatWordOrSymbol(['not', '!'], ['!='])) {
      return this.nested(start, () => ({ kind: 'not', arg: this.unary(), span: this.lx.span(start) }));
    }
    if (this.lx.eat('(')) {
      const e = this.nested(start, () => this.logical(0));
      this.lx.expect(')', '")"');
      return e;
    }
    return this.comparison();
  }

  private nested<T>(start: number, inner: () => T): T {
    if (++this.depth > this.settings.maxNestingDepth) {
      this.lx.fail(RulesErrorCode.LIMIT, `nested deeper than ${this.settings.maxNestingDepth} levels`, start);
    }
    const out = inner();
    this.depth--;
    return out;
  }

  private startPos(): number {
    this.lx.skipSpace();
    return this.lx.pos;
  }

  /** `and` only as a whole word; `!` but not the start of `!=` */
  private eatWordOrSymbol(spellings: readonly string[], notBefore: readonly string[] = []): boolean {
    this.lx.skipSpace();
    if (notBefore.some((n) => this.lx.input.startsWith(n, this.lx.pos))) return false;
    return this.lx.eatOneOf(spellings) !== null;
  }

  private comparison(): Expr {
    const start = this.startPos();
    const name = this.lx.peekName();
    if (name === null) this.lx.expected('a field, bit_slice(…), bpf(…), not or "("');
    if (name === 'bpf') return this.bpfCall(start);
    const lhs = this.value(start, name);
    this.lx.skipSpace();
    const opStart = this.lx.pos;
    const op = this.operator(lhs);
    const problem = checkOperator(lhs, op);
    if (problem) this.lx.fail(RulesErrorCode.TYPE, problem, opStart, this.lx.pos);
    const rhs = this.literal(lhs, op);
    return { kind: 'compare', lhs, op, rhs, span: this.lx.span(start) };
  }

  private operator(lhs: ValueExpr): ComparisonOp {
    for (const [spelling, op] of OPERATOR_SPELLINGS) if (this.lx.eat(spelling)) return op;
    // `&` alone, not `&&`
    if (this.lx.input.startsWith('&', this.lx.pos) && !this.lx.input.startsWith('&&', this.lx.pos)) {
      this.lx.pos++;
      return 'bitwise_and';
    }
    return this.lx.expected(`an operator after ${describe(lhs)} (== != < <= > >= & contains matches in, or eq ne lt le gt ge)`);
  }

  private bpfCall(start: number): Expr {
    this.lx.pos += 3;
    this.lx.expect('(', '"(" after bpf');
    const argStart = this.startPos();
    const name = new TextDecoder().decode(this.lx.string());
    if (!BPF_NAME.test(name)) this.lx.fail(RulesErrorCode.RANGE, 'a bpf program name is 1 to 64 letters, digits, _ . or -', argStart, this.lx.pos);
    this.lx.expect(')', '")"');
    return { kind: 'bpf', name, span: this.lx.span(start) };
  }

  private value(start: number, name: string): ValueExpr {
    if (name === 'bit_slice') return this.bitSlice(start);
    const field = FIELDS.get(name);
    if (!field) {
      const hint = name in FUNCTIONS ? '' : `; fields are ${[...FIELDS.keys()].join(', ')}`;
      this.lx.fail(RulesErrorCode.UNKNOWN_NAME, `unknown field ${JSON.stringify(name)}${hint}`, start, start + name.length);
    }
    this.lx.pos += name.length;
    this.lx.skipSpace();
    if (this.lx.input[this.lx.pos] !== '[') return { kind: 'field', field, span: this.lx.span(start) };
    if (field.type !== 'bytes') this.lx.fail(RulesErrorCode.TYPE, `${name} is not bytes and cannot be sliced`, this.lx.pos);
    this.lx.pos++;
    const offStart = this.startPos();
    const first = this.lx.int();
    if (first < 0 || first > MAX_SLICE_OFFSET) this.lx.fail(RulesErrorCode.RANGE, `slice offset must be 0..${MAX_SLICE_OFFSET}`, offStart, this.lx.pos);
    let length: number | null = 1;
    if (this.lx.eat(':')) {
      this.lx.skipSpace();
      if (this.lx.input[this.lx.pos] === ']') length = null;
      else {
        const lenStart = this.lx.pos;
        length = this.lx.int();
        if (length < 1 || length > MAX_SLICE_OFFSET) this.lx.fail(RulesErrorCode.RANGE, `slice length must be 1..${MAX_SLICE_OFFSET}`, lenStart, this.lx.pos);
      }
    } else if (this.lx.eat('-')) {
      const endStart = this.startPos();
      const last = this.lx.int();
      if (last < first || last > MAX_SLICE_OFFSET) this.lx.fail(RulesErrorCode.RANGE, `slice end must be ${first}..${MAX_SLICE_OFFSET} (inclusive)`, endStart, this.lx.pos);
      length = last - first + 1;
    }
    this.lx.expect(']', '"]" (slices are [offset], [offset:length], [first-last] or [offset:])');
    return { kind: 'slice', field, start: first, length, span: this.lx.span(start) };
  }

  private bitSlice(start: number): ValueExpr {
    this.lx.pos += 'bit_slice'.length;
    this.lx.expect('(', '"(" after bit_slice');
    const baseStart = this.startPos();
    const base = new TextDecoder().decode(this.lx.string());
    if (base !== 'ip' && base !== 'udp') {
      this.lx.fail(RulesErrorCode.RANGE, `bit_slice reads "ip" or "udp" (only UDP packets reach the rules), not ${JSON.stringify(base)}`, baseStart, this.lx.pos);
    }
    this.lx.expect(',', '","');
    const s0 = this.startPos();
    const startBit = this.lx.int();
    this.lx.expect(',', '","');
    const e0 = this.startPos();
    const endBit = this.lx.int();
    if (startBit < 0 || startBit >= BIT_SLICE_MAX_OFFSET) this.lx.fail(RulesErrorCode.RANGE, `bit_slice start must be 0..${BIT_SLICE_MAX_OFFSET - 1}`, s0, s0 + String(startBit).length);
    if (endBit <= startBit || endBit - startBit > BIT_SLICE_MAX_WIDTH || endBit > BIT_SLICE_MAX_OFFSET) {
      this.lx.fail(RulesErrorCode.RANGE, `bit_slice end must be after the start, at most ${BIT_SLICE_MAX_WIDTH} bits on and at most ${BIT_SLICE_MAX_OFFSET}`, e0, this.lx.pos);
    }
    this.lx.expect(')', '")"');
    return { kind: 'bit_slice', base, startBit, endBit, span: this.lx.span(start) };
  }

  private literal(lhs: ValueExpr, op: ComparisonOp): Literal {
    const start = this.startPos();
    const type = valueType(lhs);
    if (op === 'in') {
      if (type === 'ip' && this.lx.input[this.lx.pos] === '$') {
        const name = this.lx.listName();
        return { kind: 'list', name, span: this.lx.span(start) };
      }
      if (this.lx.input[this.lx.pos] === '$') this.lx.fail(RulesErrorCode.TYPE, `lists hold IP prefixes; ${describe(lhs)} is not an IP address`, start, start + 1);
      return this.set(lhs);
    }
    if (type === 'int') return { kind: 'int', value: this.intValue(lhs), span: this.lx.span(start) };
    if (type === 'ip') {
      const prefix = this.prefix();
      if (prefix.length !== (prefix.family === 4 ? 32 : 128)) {
        this.lx.fail(RulesErrorCode.TYPE, `a CIDR compares only inside a set: ${describe(lhs)} in { … }`, start, this.lx.pos);
      }
      return { kind: 'ip', prefix, span: this.lx.span(start) };
    }
    if (op === 'matches') return this.regex(start);
    return { kind: 'bytes', value: this.lx.bytes(), span: this.lx.span(start) };
  }

  private regex(start: number): Literal {
    const bytes = this.lx.string();
    // each byte of the pattern is the character of that code (latin1), as the subject is
    const source = latin1(bytes);
    if (source.length > this.settings.maxRegexLength) this.lx.fail(RulesErrorCode.LIMIT, `regular expression is longer than ${this.settings.maxRegexLength}`, start, this.lx.pos);
    try {
      new RegExp(source);
    } catch (err) {
      this.lx.fail(RulesErrorCode.SYNTAX, `invalid regular expression: ${(err as Error).message}`, start, this.lx.pos);
    }
    return { kind: 'regex', source, span: this.lx.span(start) };
  }

  private intValue(lhs: ValueExpr): number {
    this.lx.skipSpace();
    const start = this.lx.pos;
    const c = this.lx.input[this.lx.pos];
    const names = lhs.kind === 'field' && lhs.field.type === 'int' ? lhs.field.names : undefined;
    if (c === '"' || c === 'r') {
      if (!names) this.lx.expected(`an integer for ${describe(lhs)}`);
      const name = new TextDecoder().decode(this.lx.string()).toLowerCase();
      const n = names[name];
      if (n === undefined) this.lx.fail(RulesErrorCode.UNKNOWN_NAME, `unknown protocol ${JSON.stringify(name)}; known: ${Object.keys(names).join(', ')}`, start, this.lx.pos);
      return n;
    }
    return this.lx.int();
  }

  private prefix(): Prefix {
    const { text, span } = this.lx.ipText();
    const p = parsePrefix(text);
    if (typeof p === 'string') this.lx.fail(RulesErrorCode.SYNTAX, p, span.start, span.end);
    return p;
  }

  private set(lhs: ValueExpr): Literal {
    const start = this.startPos();
    this.lx.expect('{', '"{" or a $list after in');
    const type = valueType(lhs);
    const ranges: [number, number][] = [];
    const prefixes: Prefix[] = [];
    const values: Uint8Array[] = [];
    while (!this.lx.eat('}')) {
      if (this.lx.atEnd()) this.lx.expected('"}"');
      if (ranges.length + prefixes.length + values.length >= this.settings.maxSetSize) {
        this.lx.fail(RulesErrorCode.LIMIT, `a set holds at most ${this.settings.maxSetSize} items; use a list ($name) for more`);
      }
      if (type === 'int') {
        const itemStart = this.startPos();
        const first = this.intValue(lhs);
        let last = first;
        if (this.lx.eat('..')) last = this.intValue(lhs);
        if (last < first) this.lx.fail(RulesErrorCode.RANGE, `range ${first}..${last} ends before it starts`, itemStart, this.lx.pos);
        ranges.push([first, last]);
      } else if (type === 'ip') {
        prefixes.push(this.prefix());
      } else {
        values.push(this.lx.bytes());
      }
    }
    const span: Span = this.lx.span(start);
    if (type === 'int') return { kind: 'int_set', ranges, span };
    if (type === 'ip') return { kind: 'ip_set', prefixes, span };
    return { kind: 'bytes_set', values, span };
  }
}

export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i += 4096) s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  return s;
}

export type { OrderingOp };
