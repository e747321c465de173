/**
 * Errors of the VM package. Two families, kept apart as PREVAIL does: `VmLoadError` for a program
 * that is malformed or unsupported (bad input, reported before anything runs) and `VmFault` for a
 * run that ended abnormally (a value on the packet path, never a crash). Each has a stable code.
 */
export const VmErrorCode = {
  EMPTY_PROGRAM: 'FS_ERR_VM_EMPTY_PROGRAM',
  TRUNCATED: 'FS_ERR_VM_TRUNCATED',
  PROGRAM_TOO_LARGE: 'FS_ERR_VM_PROGRAM_TOO_LARGE',
  UNKNOWN_OPCODE: 'FS_ERR_VM_UNKNOWN_OPCODE',
  RESERVED_FIELD: 'FS_ERR_VM_RESERVED_FIELD',
  LDDW_TRUNCATED: 'FS_ERR_VM_LDDW_TRUNCATED',
  JUMP_OUT_OF_RANGE: 'FS_ERR_VM_JUMP_OUT_OF_RANGE',
  JUMP_INTO_LDDW: 'FS_ERR_VM_JUMP_INTO_LDDW',
  UNKNOWN_HELPER: 'FS_ERR_VM_UNKNOWN_HELPER',
  FALLS_OFF_END: 'FS_ERR_VM_FALLS_OFF_END',
  ASSEMBLY: 'FS_ERR_VM_ASSEMBLY',
  // Run-time faults
  MEMORY_ACCESS: 'FS_ERR_VM_MEMORY_ACCESS',
  BUDGET_EXHAUSTED: 'FS_ERR_VM_BUDGET_EXHAUSTED',
  CALL_DEPTH: 'FS_ERR_VM_CALL_DEPTH',
  HELPER_FAULT: 'FS_ERR_VM_HELPER_FAULT',
  UNKNOWN_HELPER_AT_RUN: 'FS_ERR_VM_UNKNOWN_HELPER_AT_RUN',
} as const;
export type VmErrorCode = (typeof VmErrorCode)[keyof typeof VmErrorCode];

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

/** A program that cannot be loaded. `index` is the instruction slot (lddw counts two). */
export class VmLoadError extends Error {
  override readonly name: string = 'VmLoadError';
  readonly code: VmErrorCode;
  readonly index: number | undefined;
  source: SourceLocation | undefined;

  constructor(code: VmErrorCode, message: string, options: { index?: number; cause?: unknown; source?: SourceLocation } = {}) {
    super(options.index === undefined ? message : `instruction ${options.index}: ${message}`, { cause: options.cause });
    this.code = code;
    this.index = options.index;
    this.source = options.source;
  }
}

/** A run that ended abnormally: out-of-bounds access, budget, call depth or a helper's refusal. */
export class VmFault extends Error {
  override readonly name = 'VmFault';
  readonly code: VmErrorCode;
  /** Instruction slot that faulted. */
  readonly index: number;
  readonly address: bigint | undefined;
  readonly size: number | undefined;

  constructor(code: VmErrorCode, index: number, message: string, options: { address?: bigint; size?: number; cause?: unknown } = {}) {
    super(`instruction ${index}: ${message}`, { cause: options.cause });
    this.code = code;
    this.index = index;
    this.address = options.address;
    this.size = options.size;
  }
}

/** An assembly source line that does not parse. */
export class AssemblyError extends VmLoadError {
  override readonly name: string = 'AssemblyError';
  readonly line: number;

  constructor(line: number, message: string) {
    super(VmErrorCode.ASSEMBLY, `line ${line}: ${message}`);
    this.line = line;
  }
}
