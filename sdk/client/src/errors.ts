export const ClientErrorCode = {
  CLOSED: 'FS_ERR_CLIENT_CLOSED',
  SOLVE_FAILED: 'FS_ERR_CLIENT_SOLVE_FAILED',
  QUEUE_FULL: 'FS_ERR_CLIENT_QUEUE_FULL',
  CHALLENGE_TOO_HARD: 'FS_ERR_CLIENT_CHALLENGE_TOO_HARD',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** An SDK failure the game can react to (emitted as 'error' or thrown by send()). */
export class ClientError extends Error {
  override readonly name = 'ClientError';
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}
