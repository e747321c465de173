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
  // Object files
  BAD_ELF: 'FS_ERR_VM_BAD_ELF',
  UNSUPPORTED_RELOCATION: 'FS_ERR_VM_UNSUPPORTED_RELOCATION',
  NO_PROGRAM: 'FS_ERR_VM_NO_PROGRAM',
  BAD_MAP: 'FS_ERR_VM_BAD_MAP',
  // Run-time faults
  MEMORY_ACCESS: 'FS_ERR_VM_MEMORY_ACCESS',
  BUDGET_EXHAUSTED: 'FS_ERR_VM_BUDGET_EXHAUSTED',
  CALL_DEPTH: 'FS_ERR_VM_CALL_DEPTH',
  HELPER_FAULT: 'FS_ERR_VM_HELPER_FAULT',
  UNKNOWN_HELPER_AT_RUN: 'FS_ERR_VM_UNKNOWN_HELPER_AT_RUN',
  // Verifier
  UNINIT_REGISTER: 'FS_ERR_VM_UNINIT_REGISTER',
  UNINIT_STACK: 'FS_ERR_VM_UNINIT_STACK',
  FRAME_POINTER_WRITE: 'FS_ERR_VM_FRAME_POINTER_WRITE',
  STACK_OUT_OF_BOUNDS: 'FS_ERR_VM_STACK_OUT_OF_BOUNDS',
  OUT_OF_BOUNDS: 'FS_ERR_VM_OUT_OF_BOUNDS',
  INVALID_DEREFERENCE: 'FS_ERR_VM_INVALID_DEREFERENCE',
  READ_ONLY_WRITE: 'FS_ERR_VM_READ_ONLY_WRITE',
  CONTEXT_ACCESS: 'FS_ERR_VM_CONTEXT_ACCESS',
  HELPER_ARGUMENT: 'FS_ERR_VM_HELPER_ARGUMENT',
  INVALID_CALLX: 'FS_ERR_VM_INVALID_CALLX',
  CALL_DEPTH_EXCEEDED: 'FS_ERR_VM_CALL_DEPTH_EXCEEDED',
  INFINITE_LOOP: 'FS_ERR_VM_INFINITE_LOOP',
  INVALID_RETURN: 'FS_ERR_VM_INVALID_RETURN',
  TOO_COMPLEX: 'FS_ERR_VM_TOO_COMPLEX',
} as const;
export type VmErrorCode = (typeof VmErrorCode)[keyof typeof VmErrorCode];

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
  /** the source line's text, where the object records it */
  text?: string;
}

/** `file.c:LINE:COLUMN` (the column when BTF has one); the file's base name, as BTF often records the compile's absolute path. */
export function formatLocation(source: SourceLocation): string {
  return `${source.file.split('/').pop()}:${source.line}${source.column ? `:${source.column}` : ''}`;
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

/**
 * A program the verifier refuses: which instruction, why, and where in the source when the object
 * carries line info. Prints `instruction N (file.c:LINE:COLUMN): reason`.
 */
export class VerifierError extends VmLoadError {
  override readonly name: string = 'VerifierError';
  /** The reason alone, without the instruction prefix. */
  readonly reason: string;

  constructor(code: VmErrorCode, index: number, reason: string, options: { source?: SourceLocation; cause?: unknown } = {}) {
    super(code, reason, { index, ...options });
    this.reason = reason;
    if (options.source) this.message = `instruction ${index} (${formatLocation(options.source)}): ${reason}`;
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
