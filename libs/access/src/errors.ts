/** Stable codes of libs/access errors: bad input (a credentials file, an edge id), never a bug. */
export const AccessErrorCode = {
  /** A credentials file that cannot be read. */
  CREDENTIALS_UNREADABLE: 'FS_ERR_ACCESS_CREDENTIALS_UNREADABLE',
  /** A credentials file that is neither a `.creds` file nor an nkey user seed. */
  BAD_CREDENTIALS: 'FS_ERR_ACCESS_BAD_CREDENTIALS',
  /** An edge id that cannot be a subject token, or a role that needs one without it. */
  BAD_PRINCIPAL: 'FS_ERR_ACCESS_BAD_PRINCIPAL',
} as const;
export type AccessErrorCode = typeof AccessErrorCode[keyof typeof AccessErrorCode];

export class AccessError extends Error {
  override readonly name = 'AccessError';
  constructor(readonly code: AccessErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
