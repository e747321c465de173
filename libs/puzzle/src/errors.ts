/** A configuration the engine refuses (a bug or operator error, never bad packet input). */
export class PuzzleConfigError extends Error {
  override readonly name = 'PuzzleConfigError';
  readonly code = 'FS_ERR_PUZZLE_CONFIG';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}

/** The solver gave up: stopped by its caller, or (astronomically unlikely) ran out of u32 solutions. */
export class SolveAbortedError extends Error {
  override readonly name = 'SolveAbortedError';
  readonly code: 'FS_ERR_PUZZLE_SOLVE_ABORTED' | 'FS_ERR_PUZZLE_SOLVE_EXHAUSTED';

  constructor(code: 'FS_ERR_PUZZLE_SOLVE_ABORTED' | 'FS_ERR_PUZZLE_SOLVE_EXHAUSTED', message: string) {
    super(message);
    this.code = code;
  }
}

export const PuzzleErrorCode = {
  CONFIG: 'FS_ERR_PUZZLE_CONFIG',
  SOLVE_ABORTED: 'FS_ERR_PUZZLE_SOLVE_ABORTED',
  SOLVE_EXHAUSTED: 'FS_ERR_PUZZLE_SOLVE_EXHAUSTED',
} as const;
