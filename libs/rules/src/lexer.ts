import { ExpressionError, RulesErrorCode } from './errors.js';
import type { Span } from './ast.js';

/**
 * The lexer: a cursor over the expression text with one function per token kind. As in
 * wirefilter, the parser picks which literal lexer to call from the type of the field on the left
 * (`10.0.0.1` is an address after `ip.src ==`, `aa:bb` bytes after `udp.payload ==`), so no token
 * is ever ambiguous.
 */
export class Lexer {
  pos = 0;
  constructor(readonly input: string) {}

  fail(code: (typeof RulesErrorCode)[keyof typeof RulesErrorCode], reason: string, start = this.pos, end = start + 1): never {
    throw new ExpressionError(code, reason, this.input, start, Math.max(end, start + 1));
  }

  /** A syntax error at the current token: names what was expected and what is there. */
  expected(what: string): never {
    this.skipSpace();
    const found = this.pos >= this.input.length ? 'the end of the expression' : JSON.stringify(this.tokenText());
    this.fail(RulesErrorCode.SYNTAX, `expected ${what}, found ${found}`, this.pos, this.pos + Math.max(1, this.tokenText().length));
  }

  /** the text of the token starting here, for messages: a word, or one character */
  private tokenText(): string {
    const m = /^(?:[A-Za-z0-9_.$:]+|\S)/.exec(this.input.slice(this.pos, this.pos + 64));
    return m ? m[0] : '';
  }

  skipSpace(): void {
    while (this.pos < this.input.length && /\s/.test(this.input[this.pos]!)) this.pos++;
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.input.length;
  }

  span(start: number): Span {
    return { start, end: this.pos };
  }

  /** Consumes `text` if it comes next (after spaces). Words must end at a word boundary. */
  eat(text: string): boolean {
    this.skipSpace();
    if (!this.input.startsWith(text, this.pos)) return false;
    if (/\w$/.test(text) && /[\w.]/.test(this.input[this.pos + text.length] ?? '')) return false;
    this.pos += text.length;
    return true;
  }

  expect(text: string, what = JSON.stringify(text)): void {
    if (!this.eat(text)) this.expected(what);
  }

  /** The first of `options` that comes next, consumed, or null. Longer options must come first. */
  eatOneOf<T extends string>(options: readonly T[]): T | null {
    for (const o of options) if (this.eat(o)) return o;
    return null;
  }

  /** A name: `ip.src`, `bit_slice`, `and`; null if none starts here. Not consumed. */
  peekName(): string | null {
    this.skipSpace();
    const m = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/.exec(this.input.slice(this.pos, this.pos + 256));
    return m ? m[0] : null;
  }

  /** Wirefilter's integers: `-12`, `0x1f` (hex), `017` (a leading 0 is octal), `0`. */
  int(): number {
    this.skipSpace();
    const start = this.pos;
    const m = /^(-?)(0x[0-9A-Fa-f]+|0[0-7]*|[1-9][0-9]*)/.exec(this.input.slice(this.pos, this.pos + 80));
    if (!m) this.expected('an integer');
    const digits = m[2]!;
    const text = m[0];
    this.pos += text.length;
    if (/^[0-9A-Za-z_]/.test(this.input[this.pos] ?? '')) this.fail(RulesErrorCode.SYNTAX, `${JSON.stringify(text + this.input[this.pos])}… is not an integer`, start, this.pos + 1);
    const magnitude = digits.startsWith('0x') ? parseInt(digits.slice(2), 16) : digits.startsWith('0') && digits.length > 1 ? parseInt(digits.slice(1), 8) : Number(digits);
    const value = m[1] ? -magnitude : magnitude;
    if (!Number.isSafeInteger(value)) this.fail(RulesErrorCode.RANGE, `integer ${text} is beyond ±2^53`, start, this.pos);
    return value;
  }

  /** `"text"` with escapes \" \\ \xHH \NNN (octal), or a raw string `r"…"`, `r#"…"#`: its bytes (UTF-8). */
  string(): Uint8Array {
    this.skipSpace();
    const start = this.pos;
    const s = this.input;
    if (s[this.pos] === 'r' && (s[this.pos + 1] === '"' || s[this.pos + 1] === '#')) {
      let hashes = 0;
      let i = this.pos + 1;
      while (s[i] === '#') { hashes++; i++; }
      if (s[i] !== '"') this.fail(RulesErrorCode.SYNTAX, 'expected " after r and #', i);
      const close = '"' + '#'.repeat(hashes);
      const end = s.indexOf(close, i + 1);
      if (end < 0) this.fail(RulesErrorCode.SYNTAX, 'raw string has no closing quote', start, s.length);
      this.pos = end + close.length;
      return new TextEncoder().encode(s.slice(i + 1, end));
    }
    if (s[this.pos] !== '"') this.expected('a string');
    const out: number[] = [];
    let i = this.pos + 1;
    for (;;) {
      if (i >= s.length) this.fail(RulesErrorCode.SYNTAX, 'string has no closing quote', start, s.length);
      const c = s[i]!;
      if (c === '"') break;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === '"' || e === '\\') { out.push(e.charCodeAt(0)); i += 2; continue; }
        if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 2, i + 4))) { out.push(parseInt(s.slice(i + 2, i + 4), 16)); i += 4; continue; }
        if (e !== undefined && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4)) && parseInt(s.slice(i + 1, i + 4), 8) < 256) {
          out.push(parseInt(s.slice(i + 1, i + 4), 8));
          i += 4;
          continue;
        }
        this.fail(RulesErrorCode.SYNTAX, 'invalid escape: use \\" \\\\ \\xHH or \\NNN (octal)', i, i + 2);
      }
      const code = s.codePointAt(i)!;
      out.push(...new TextEncoder().encode(String.fromCodePoint(code)));
      i += code > 0xffff ? 2 : 1;
    }
    this.pos = i + 1;
    return Uint8Array.from(out);
  }

  /** Bytes: a string, hex bytes with separators (`aa:bb:cc`, `aa-bb`, `aa.bb`), or `0x` and an even number of hex digits. */
  bytes(): Uint8Array {
    this.skipSpace();
    const s = this.input;
    const c = s[this.pos];
    if (c === '"' || (c === 'r' && (s[this.pos + 1] === '"' || s[this.pos + 1] === '#'))) return this.string();
    const start = this.pos;
    const hex = /^0x([0-9A-Fa-f]+)(?![\w])/.exec(s.slice(this.pos, this.pos + 4096));
    if (hex) {
      if (hex[1]!.length % 2 !== 0) this.fail(RulesErrorCode.SYNTAX, 'hex bytes need an even number of digits', start, start + hex[0].length);
      this.pos += hex[0].length;
      return Uint8Array.from(hex[1]!.match(/../g)!.map((h) => parseInt(h, 16)));
    }
    const sep = /^[0-9A-Fa-f]{2}(?:[:.-][0-9A-Fa-f]{2})+(?![\w:.-])/.exec(s.slice(this.pos, this.pos + 4096));
    if (!sep) this.expected('bytes ("text", aa:bb:cc or 0xaabbcc)');
    this.pos += sep[0].length;
    return Uint8Array.from(sep[0].split(/[:.-]/).map((h) => parseInt(h, 16)));
  }

  /** An address or a CIDR, as text (checked by the caller). */
  ipText(): { text: string; span: Span } {
    this.skipSpace();
    const start = this.pos;
    const m = /^[0-9A-Fa-f:.]+(?:\/[0-9]+)?/.exec(this.input.slice(this.pos, this.pos + 64));
    if (!m || !/[.:]/.test(m[0])) this.expected('an IP address or CIDR');
    this.pos += m[0].length;
    if (/[\w]/.test(this.input[this.pos] ?? '')) this.fail(RulesErrorCode.SYNTAX, 'not an IP address or CIDR', start, this.pos + 1);
    return { text: m[0], span: this.span(start) };
  }

  /** `$name`: lower-case letters, digits, `_` and `.` (wirefilter's list names). */
  listName(): string {
    this.skipSpace();
    const start = this.pos;
    const m = /^\$([a-z0-9_.]+)/.exec(this.input.slice(this.pos, this.pos + 128));
    if (!m) this.fail(RulesErrorCode.SYNTAX, 'a list name is $ and lower-case letters, digits, _ or .', start, start + 2);
    this.pos += m[0].length;
    return m[1]!;
  }
}
