/** Stable codes of every error this package throws (bad input, never bugs). */
export const RulesErrorCode = {
  /** the expression does not follow the grammar */
  SYNTAX: 'FS_ERR_RULES_SYNTAX',
  /** a name the scheme does not declare (field, function, protocol) */
  UNKNOWN_NAME: 'FS_ERR_RULES_UNKNOWN_NAME',
  /** an operator or a literal that does not fit the type of its field */
  TYPE: 'FS_ERR_RULES_TYPE',
  /** a literal out of its range (integer, slice, bit_slice width, prefix length) */
  RANGE: 'FS_ERR_RULES_RANGE',
  /** a limit of ParserSettings (nesting depth, expression length, set size, regex length) */
  LIMIT: 'FS_ERR_RULES_LIMIT',
  /** `$name` names no list given to the compiler */
  UNKNOWN_LIST: 'FS_ERR_RULES_UNKNOWN_LIST',
  /** the rules file (JSON shape, ids, actions, modes, scopes, inline lists) */
  FILE: 'FS_ERR_RULES_FILE',
  /** a prefix list's text or JSON */
  LIST: 'FS_ERR_RULES_LIST',
} as const;
export type RulesErrorCode = (typeof RulesErrorCode)[keyof typeof RulesErrorCode];

/** Bad input to the rules package: a file, a list, or (see ExpressionError) an expression. */
export class RulesError extends Error {
  override readonly name: string = 'RulesError';
  constructor(readonly code: RulesErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Line (1-based) and column (1-based, in UTF-16 code units) of an offset in `input`. */
export function lineColumn(input: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < input.length; i++) {
    if (input.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * An error in one expression, with the span it points at. The message reads
 * `line 1, column 16: <reason>` followed by the offending line and a caret under the span, the
 * way wirefilter's ParseError prints.
 */
export class ExpressionError extends RulesError {
  override readonly name = 'ExpressionError';
  readonly line: number;
  readonly column: number;
  constructor(code: RulesErrorCode, readonly reason: string, readonly input: string, readonly start: number, readonly end: number) {
    const { line, column } = lineColumn(input, start);
    super(code, `line ${line}, column ${column}: ${reason}\n${caretLines(input, start, end)}`);
    this.line = line;
    this.column = column;
  }
}

function caretLines(input: string, start: number, end: number): string {
  const lineStart = input.lastIndexOf('\n', start - 1) + 1;
  const nl = input.indexOf('\n', start);
  const lineEnd = nl < 0 ? input.length : nl;
  const text = input.slice(lineStart, lineEnd);
  const width = Math.max(1, Math.min(end, lineEnd) - start);
  // tabs stay tabs so the caret lines up under the text as a terminal shows it
  return `${text}\n${text.slice(0, start - lineStart).replace(/[^\t]/g, ' ')}${'^'.repeat(width)}`;
}

export const isRulesError = (e: unknown): e is RulesError => e instanceof RulesError;
