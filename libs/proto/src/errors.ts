/**
 * Input that does not decode: a malformed record, packet or message. Carries a stable code and
 * a human reason so callers can count by code and log the reason; never a bug in our code.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}
