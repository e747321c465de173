/** A state-service failure an operator can act on (bad configuration, a snapshot that does not check out). */
export class StateError extends Error {
  override readonly name = 'StateError';
  readonly code: string;

  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}

export const StateErrorCode = {
  CONFIG: 'FS_ERR_STATE_CONFIG',
  SNAPSHOT_DIGEST: 'FS_ERR_STATE_SNAPSHOT_DIGEST',
  BOOTSTRAP_TARGET: 'FS_ERR_STATE_BOOTSTRAP_TARGET',
} as const;
