/** Stable codes of capture-file errors; `CaptureError.code` is one of these. */
export const CaptureErrorCode = {
  /** The file does not start with a pcap or pcapng magic number. */
  BAD_MAGIC: 'FS_ERR_CAPTURE_BAD_MAGIC',
  /** The file ends inside a header, record or block. */
  TRUNCATED: 'FS_ERR_CAPTURE_TRUNCATED',
  /** A pcapng block length is below the minimum, not a multiple of 4, or disagrees with its trailer. */
  BAD_BLOCK_LENGTH: 'FS_ERR_CAPTURE_BAD_BLOCK_LENGTH',
  /** A pcap record or pcapng packet claims more captured bytes than its container or the limit allows. */
  BAD_RECORD_LENGTH: 'FS_ERR_CAPTURE_BAD_RECORD_LENGTH',
  /** A pcapng option runs past the end of its block. */
  BAD_OPTION: 'FS_ERR_CAPTURE_BAD_OPTION',
  /** A pcapng packet refers to an interface that no Interface Description Block defined. */
  UNKNOWN_INTERFACE: 'FS_ERR_CAPTURE_UNKNOWN_INTERFACE',
  /** A pcapng packet block appears before any Section Header Block, or a major version we cannot read. */
  BAD_SECTION: 'FS_ERR_CAPTURE_BAD_SECTION',
  /** Invalid arguments to a writer or builder (a programming error of the caller, not bad input). */
  BAD_ARGUMENT: 'FS_ERR_CAPTURE_BAD_ARGUMENT',
} as const;
export type CaptureErrorCode = (typeof CaptureErrorCode)[keyof typeof CaptureErrorCode];

/**
 * A capture file that cannot be read (or a writer given values it cannot encode). `offset` is the
 * byte offset in the file where the problem was found, so an operator can look at it with a hex
 * dump; it is -1 for writer/builder argument errors.
 */
export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  readonly code: CaptureErrorCode;
  readonly offset: number;

  constructor(code: CaptureErrorCode, message: string, offset: number, options: { cause?: unknown } = {}) {
    super(offset >= 0 ? `${message} (at byte offset ${offset})` : message, { cause: options.cause });
    this.code = code;
    this.offset = offset;
  }
}

export function isCaptureError(err: unknown): err is CaptureError {
  return err instanceof CaptureError;
}
