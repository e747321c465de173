/** Stable codes of the challenge service's errors. */
export const ChallengeErrorCode = {
  CONFIG: 'FS_ERR_CHALLENGE_CONFIG',
  BAD_REQUEST: 'FS_ERR_CHALLENGE_BAD_REQUEST',
} as const;
export type ChallengeErrorCode = (typeof ChallengeErrorCode)[keyof typeof ChallengeErrorCode];

/** The service cannot start with this configuration (missing or malformed master key, bad numbers). */
export class ChallengeConfigError extends Error {
  override readonly name = 'ChallengeConfigError';
  readonly code = ChallengeErrorCode.CONFIG;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}

/** A request message that does not make sense; answered with `{ ok: false, reason }`, counted, logged. */
export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
  readonly code = ChallengeErrorCode.BAD_REQUEST;

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
