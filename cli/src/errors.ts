/** A failure the operator caused or can fix: printed as one line, no stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}
