import { constants } from 'node:os';

/** Every error udp-batch throws has one of these codes (both implementations, same cases). */
export const UdpBatchErrorCode = {
  /** An argument of the wrong type or out of range (not a socket, negative count, …). */
  ARGUMENT: 'FS_ERR_UDPBATCH_ARGUMENT',
  /** Slots or a datagram to send run past the end of the memory. */
  REGION: 'FS_ERR_UDPBATCH_REGION',
  /** A slot is larger than the stride between slots (slots would overlap). */
  STRIDE: 'FS_ERR_UDPBATCH_STRIDE',
  /** The metadata array holds fewer records than the batch needs. */
  META: 'FS_ERR_UDPBATCH_META',
  /** A bind or destination address is not an IP, or does not fit the socket's family. */
  ADDRESS: 'FS_ERR_UDPBATCH_ADDRESS',
  /** The socket is closed. */
  CLOSED: 'FS_ERR_UDPBATCH_CLOSED',
  /** A system call failed (`errno`, `syscall` say which and why: EADDRINUSE, …). */
  SYSCALL: 'FS_ERR_UDPBATCH_SYSCALL',
  /** This implementation cannot do it (reuse-port steering on the dgram twin). */
  UNSUPPORTED: 'FS_ERR_UDPBATCH_UNSUPPORTED',
} as const;
export type UdpBatchErrorCode = (typeof UdpBatchErrorCode)[keyof typeof UdpBatchErrorCode];

const CODES = new Set<string>(Object.values(UdpBatchErrorCode));

export class UdpBatchError extends Error {
  override readonly name = 'UdpBatchError';
  readonly code: UdpBatchErrorCode;
  /** For SYSCALL: the errno name (EADDRINUSE) and the call that failed. */
  readonly errno: string | undefined;
  readonly syscall: string | undefined;

  constructor(code: UdpBatchErrorCode, message: string, options: { cause?: unknown; errno?: string; syscall?: string } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.errno = options.errno;
    this.syscall = options.syscall;
  }

  /** The error a native call threw (it carries a code already) or a Node error (dgram's), re-typed. */
  static from(err: unknown, fallbackSyscall?: string): UdpBatchError {
    if (err instanceof UdpBatchError) return err;
    const e = err as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
    const message = typeof e?.message === 'string' ? e.message : String(err);
    if (typeof e?.code === 'string' && CODES.has(e.code)) {
      const errno = typeof e.errno === 'number' ? errnoName(e.errno) : undefined;
      return new UdpBatchError(e.code as UdpBatchErrorCode, errno ? `${message} (${errno})` : message, {
        cause: err, errno, syscall: typeof e.syscall === 'string' ? e.syscall : undefined,
      });
    }
    // Node's own errors (dgram): code is the errno name, e.g. EADDRINUSE.
    const errno = typeof e?.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) ? e.code : undefined;
    return new UdpBatchError(UdpBatchErrorCode.SYSCALL, message, {
      cause: err, errno, syscall: typeof e?.syscall === 'string' ? e.syscall : fallbackSyscall,
    });
  }
}

let names: Map<number, string> | undefined;
function errnoName(n: number): string | undefined {
  names ??= new Map(Object.entries(constants.errno).map(([k, v]) => [v as number, k]));
  return names.get(n);
}
