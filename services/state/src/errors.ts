/** A state-service failure an operator can act on (bad configuration). */
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
} as const;
