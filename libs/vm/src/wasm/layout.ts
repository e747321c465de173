import { VmErrorCode } from '../errors.js';

/*
 * The fixed places of a compiled module's linear memory. Virtual addresses are linear memory
 * offsets (memory.ts keeps them small), so everything the program can address sits at the same
 * address as in the interpreter. Page 0 is never a program region (nothing is mapped below the
 * stack), so the engine keeps its control cells there, where no checked access can reach.
 */
export const CTRL_BUDGET = 0x000;
/** Index of the batch slot being run: helpers use it to bind the right packet's metadata. */
export const CTRL_CURRENT = 0x004;
/** Lowest stack address written since the stack was last zeroed. */
export const CTRL_STACK_LOW = 0x008;
/** Bytes of the packet region the last fill wrote (the rest reads as zero). */
export const CTRL_LAST_WRITTEN = 0x00c;
/** Length of the IP packet the last fill laid out (for helpers compiled into the module). */
export const CTRL_PACKET_LENGTH = 0x010;

/** Result of a raw run: r0 (i64), steps (i32), state (i32). */
export const RESULT = 0x040;
/** The last fault: code (i32), slot (i32), address (i64 at +8), size (i32 at +16), flags (i32 at +20). */
export const FAULT = 0x060;
export const FAULT_HAS_ADDRESS = 1;
export const FAULT_HAS_SIZE = 2;
/** r1..r5 at a helper call (5 × i64), then the helper's result (i64). */
export const HELPER_ARGS = 0x100;
export const HELPER_RESULT = 0x130;
/** r1..r5 at entry of a raw run. */
export const RAW_ARGS = 0x140;

/** One batch slot: a header the host and the run loop share, then the packet bytes. */
export const SLOT_LENGTH = 0; // i32; -1 = skipped (larger than the type allows)
export const SLOT_IHL = 4; // i32
export const SLOT_R0 = 8; // i64
export const SLOT_STEPS = 16; // i32
export const SLOT_STATE = 20; // i32 (RunState)
export const SLOT_FAULT = 24; // the fault record, 24 bytes as at FAULT
export const SLOT_DATA = 48;

/** How a run ended. */
export const enum RunState {
  OK = 0,
  /** a helper called stop(): a normal end with r0 = its result */
  STOPPED = 1,
  FAULT = 2,
  SKIPPED = 3,
}

/** Fault codes as the module records them. */
export const enum FaultCode {
  MEMORY = 1,
  BUDGET = 2,
  CALL_DEPTH = 3,
  UNKNOWN_HELPER = 4,
  /** raised in TypeScript (a helper's refusal): the VmFault object is kept on the host side */
  HOST = 5,
  /** a helper compiled into the module refused its arguments */
  HELPER = 6,
}

export const FAULT_CODES: Readonly<Record<number, VmErrorCode>> = {
  [FaultCode.MEMORY]: VmErrorCode.MEMORY_ACCESS,
  [FaultCode.BUDGET]: VmErrorCode.BUDGET_EXHAUSTED,
  [FaultCode.CALL_DEPTH]: VmErrorCode.CALL_DEPTH,
  [FaultCode.UNKNOWN_HELPER]: VmErrorCode.UNKNOWN_HELPER_AT_RUN,
  [FaultCode.HELPER]: VmErrorCode.HELPER_FAULT,
};

/** What a helper import returns: continue, stop the run, or fault (the host recorded why). */
export const enum HelperStatus {
  CONTINUE = 0,
  STOP = 1,
  FAULT = 2,
}

export const WASM_PAGE = 65536;
