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

/** Generation of the status cache's valid entries; 0 = the cache is off (the helper goes to the host). */
export const CTRL_STATUS_GEN = 0x014;
/** Seed of the status cache's hash (per instance, random: sources cannot be aimed at one entry). */
export const CTRL_STATUS_SEED = 0x018;
/** The run's time in UNIX seconds (f64), for the status cache's expiry test. */
export const CTRL_NOW = 0x020;

/**
 * The status cache: what the host's `getStatus` answered for a source, direct-mapped by a hash
 * of its 16-byte address, so that get_src_ip_status on a repeat source never leaves wasm. An
 * entry is valid only while its generation is CTRL_STATUS_GEN, which the host moves on whenever
 * its state may answer otherwise (StateStore.statusVersion).
 */
export const STATUS_CACHE_ENTRIES = 4096;
export const STATUS_ENTRY_BYTES = 48;
/** What the cache adds to an instance's memory once filled (pages are committed as entries are written). */
export const STATUS_CACHE_BYTES = STATUS_CACHE_ENTRIES * STATUS_ENTRY_BYTES;
export const STATUS_ENTRY_KEY = 0; // 16 bytes: the source as the host keys it (IPv4 mapped)
export const STATUS_ENTRY_EXPIRY = 16; // f64 UNIX seconds, 0 = never
export const STATUS_ENTRY_EXPIRY_U64 = 24; // the expiry as the helper writes it (u64)
export const STATUS_ENTRY_GEN = 32; // u32
export const STATUS_ENTRY_STATUS = 36; // u32: the status byte, or STATUS_ABSENT
export const STATUS_ABSENT = 0x100;
/** What the compiled helper returns when it cannot answer: the host's helper runs instead. */
export const STATUS_ASK_HOST = 1;

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
