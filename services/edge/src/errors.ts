/** Errors of the edge service, each with a stable code. */
export const EdgeErrorCode = {
  BAD_CONFIG: 'FS_ERR_EDGE_BAD_CONFIG',
  BIND: 'FS_ERR_EDGE_BIND',
} as const;
export type EdgeErrorCode = (typeof EdgeErrorCode)[keyof typeof EdgeErrorCode];

export class EdgeError extends Error {
  override readonly name = 'EdgeError';
  readonly code: EdgeErrorCode;

  constructor(code: EdgeErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}
