/** The publisher was used after close(), or flush() ran out of time. */
export class PublisherError extends Error {
  override readonly name = 'PublisherError';
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}

export const PublisherErrorCode = {
  CLOSED: 'FS_ERR_EVENTS_PUBLISHER_CLOSED',
  FLUSH_TIMEOUT: 'FS_ERR_EVENTS_FLUSH_TIMEOUT',
  OPTIONS: 'FS_ERR_EVENTS_OPTIONS',
  INVALID_EVENT: 'FS_ERR_EVENTS_INVALID_EVENT',
} as const;
