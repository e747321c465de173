import { VmErrorCode, VmFault } from '../errors.js';
import { checkBuffers, type BufferChecks, type HelperContext, type HelperFunction, type HelperTable } from '../helpers.js';
import { RunResult } from '../interpreter/interpreter.js';
import { toBigU } from '../interpreter/int64.js';
import { STACK_ADDRESS, STACK_BYTES } from '../memory.js';
import type { CompiledProgram, WasmRegion } from './compiled.js';
import { WasmApi, type WasmMemory } from './wasm-api.js';
import {
  CTRL_BUDGET, CTRL_CURRENT, CTRL_LAST_WRITTEN, CTRL_STACK_LOW, FAULT, FAULT_CODES, FAULT_HAS_ADDRESS, FAULT_HAS_SIZE, FaultCode, HELPER_ARGS,
  HELPER_RESULT, HelperStatus, RAW_ARGS, RESULT, RunState, SLOT_DATA, SLOT_FAULT, SLOT_IHL, SLOT_LENGTH, SLOT_R0, SLOT_STATE, SLOT_STEPS,
} from './layout.js';

interface Exports {
  memory: WasmMemory;
  run_raw(): number;
  run_packets?(first: number, count: number): void;
}

const TWO32 = 4294967296;
const VIEW_CACHE = 16;
/** The budget lives in an i32; a longer run than this is not a packet filter. */
export const MAX_WASM_BUDGET = 0x7fffffff;
const STACK: WasmRegion = { name: 'stack', address: STACK_ADDRESS, size: STACK_BYTES, writable: true };

/**
 * One instantiation of a compiled program: its own linear memory (so tenants never share
 * memory), the helper bridge, and the HelperContext helpers see. Helpers are called through one
 * import with (helper number, slot): arguments and result pass through a scratch area of the
 * memory as 32-bit halves, so no BigInt is made per call unless a helper asks for one.
 */
export class WasmInstance implements HelperContext {
  readonly bytes: Uint8Array;
  /** the memory as 32-bit words, for hosts that read batch slots in a loop */
  readonly i32: Int32Array;
  private readonly exports: Exports;
  private readonly table: WasmRegion[];
  private readonly fns = new Map<number, HelperFunction>();
  /** helpers by number for the usual small numbers: an array index is cheaper than a Map */
  private readonly fnArray: (HelperFunction | undefined)[] = [];
  private slot = 0;
  private stopRequested = false;
  /** faults raised in TypeScript, by batch slot (0 for raw runs) */
  private readonly hostFaults = new Map<number, VmFault>();
  budget: number;
  readonly batchAddress: number;
  readonly batchStride: number;
  // A few recent helper views, by address and length: a helper that reads or writes the same
  // stack buffer on every packet gets the same window instead of a new one each time.
  private readonly viewAddress = new Float64Array(VIEW_CACHE).fill(-1);
  private readonly viewLength = new Float64Array(VIEW_CACHE);
  private readonly views: Uint8Array[] = new Array(VIEW_CACHE);
  /** called before a helper runs, with the batch slot being run (to bind that packet's metadata) */
  onHelper: ((slot: number) => void) | null = null;

  private readonly bufferChecks: BufferChecks | null;

  /** `bufferChecks`: the verifier's run-time checks of helper buffers, made before those calls. */
  constructor(readonly compiled: CompiledProgram, helpers: HelperTable, budget: number, bufferChecks?: BufferChecks) {
    this.bufferChecks = bufferChecks?.size ? bufferChecks : null;
    for (const id of helpers.ids()) {
      const fn = helpers.get(id)!.fn;
      this.fns.set(id, fn);
      if (id >= 0 && id < 256) this.fnArray[id] = fn;
    }
    const instance = new WasmApi.Instance(compiled.module, { env: { helper: (id: number, slot: number) => this.callHelper(id, slot) } });
    this.exports = instance.exports as unknown as Exports;
    this.bytes = new Uint8Array(this.exports.memory.buffer);
    this.i32 = new Int32Array(this.exports.memory.buffer);
    this.table = [STACK, ...compiled.regions];
    this.batchAddress = compiled.batch?.address ?? 0;
    this.batchStride = compiled.batch?.stride ?? 0;
    this.budget = budget;
    this.setBudget(budget);
    this.i32[CTRL_STACK_LOW >> 2] = STACK_ADDRESS + STACK_BYTES;
  }

  setBudget(budget: number): void {
    this.budget = Math.min(Math.max(0, Math.floor(budget)), MAX_WASM_BUDGET);
    this.i32[CTRL_BUDGET >> 2] = this.budget;
  }

  /** The bytes of a region inside this instance's memory (a live view). */
  view(region: { address: number; size: number }): Uint8Array {
    return this.bytes.subarray(region.address, region.address + region.size);
  }

  /** Runs from slot 0 with r1..r5 = args (numbers or BigInts). */
  runRaw(args: readonly (number | bigint)[] = []): RunResult {
    const i32 = this.i32;
    for (let r = 0; r < 5; r++) this.setHalves(RAW_ARGS + 8 * r, args[r] ?? 0);
    i32[CTRL_CURRENT >> 2] = 0;
    let state: number;
    try {
      state = this.exports.run_raw();
    } catch (err) {
      return new RunResult(0, 0, trapFault(err), 0);
    }
    const steps = i32[(RESULT + 8) >> 2]!;
    if (state === RunState.FAULT) return new RunResult(0, 0, this.faultAt(FAULT, 0), steps);
    return new RunResult(i32[RESULT >> 2]!, i32[(RESULT + 4) >> 2]!, null, steps);
  }

  // --- batch slots ---------------------------------------------------------------------------

  /** Writes one packet into batch slot `i` (or marks it skipped when `ip` is null). */
  writeSlot(i: number, ip: Uint8Array | null, ipHeaderLength: number): void {
    const at = this.slotAddress(i);
    if (ip === null) {
      this.i32[(at + SLOT_LENGTH) >> 2] = -1;
      return;
    }
    this.i32[(at + SLOT_LENGTH) >> 2] = ip.length;
    this.i32[(at + SLOT_IHL) >> 2] = ipHeaderLength;
    this.bytes.set(ip, at + SLOT_DATA);
  }

  /** Runs slots [first, first + count). A wasm trap (a bug, never a program's fault) ends the rest with that fault. */
  runSlots(first: number, count: number): VmFault | null {
    if (this.hostFaults.size) this.hostFaults.clear();
    try {
      this.exports.run_packets!(first, count);
      return null;
    } catch (err) {
      return trapFault(err);
    }
  }

  slotState(i: number): RunState {
    return this.i32[(this.slotAddress(i) + SLOT_STATE) >> 2]! as RunState;
  }

  slotLo(i: number): number {
    return this.i32[(this.slotAddress(i) + SLOT_R0) >> 2]!;
  }

  slotHi(i: number): number {
    return this.i32[(this.slotAddress(i) + SLOT_R0 + 4) >> 2]!;
  }

  slotSteps(i: number): number {
    return this.i32[(this.slotAddress(i) + SLOT_STEPS) >> 2]!;
  }

  slotFault(i: number): VmFault {
    return this.faultAt(this.slotAddress(i) + SLOT_FAULT, i);
  }

  /** Marks every slot state unknown, so a trap leaves no stale result behind. */
  clearSlots(first: number, count: number): void {
    for (let i = first; i < first + count; i++) this.i32[(this.slotAddress(i) + SLOT_STATE) >> 2] = -1;
  }

  /** Bytes of the packet region the last fill wrote: set when the host lays a packet out itself. */
  setPacketWritten(bytes: number): void {
    this.i32[CTRL_LAST_WRITTEN >> 2] = bytes;
  }

  private slotAddress(i: number): number {
    return this.batchAddress + i * this.batchStride;
  }

  private faultAt(at: number, key: number): VmFault {
    const i32 = this.i32;
    const code = i32[at >> 2]!;
    const slot = i32[(at + 4) >> 2]!;
    if (code === FaultCode.HOST) return this.hostFaults.get(key) ?? new VmFault(VmErrorCode.HELPER_FAULT, slot, 'helper failed');
    const flags = i32[(at + 20) >> 2]!;
    const size = flags & FAULT_HAS_SIZE ? i32[(at + 16) >> 2]! : undefined;
    const address = flags & FAULT_HAS_ADDRESS ? BigInt.asUintN(64, (BigInt(i32[(at + 12) >> 2]!) << 32n) | BigInt(i32[(at + 8) >> 2]! >>> 0)) : undefined;
    const errorCode = FAULT_CODES[code] ?? VmErrorCode.HELPER_FAULT;
    let message: string;
    switch (code) {
      case FaultCode.MEMORY:
        message = address === undefined
          ? `packet load of ${size} bytes is outside the packet`
          : `access of ${size} bytes at 0x${address.toString(16)} is outside every mapped region it may use`;
        break;
      case FaultCode.BUDGET: message = `instruction budget of ${this.budget} exhausted`; break;
      case FaultCode.CALL_DEPTH: message = 'call depth exceeds 8 frames'; break;
      default: message = 'callx to a value that is not a helper';
    }
    return new VmFault(errorCode, slot, message, { address, size });
  }

  // --- the helper bridge -----------------------------------------------------------------------

  private callHelper(id: number, slot: number): number {
    this.slot = slot;
    this.stopRequested = false;
    try {
      const fn = id >= 0 && id < 256 ? this.fnArray[id] : this.fns.get(id);
      if (!fn) throw new VmFault(VmErrorCode.UNKNOWN_HELPER_AT_RUN, slot, `call to unknown helper ${id}`);
      if (this.onHelper) this.onHelper(this.i32[CTRL_CURRENT >> 2]!);
      const checks = this.bufferChecks?.get(slot);
      if (checks) checkBuffers(this, slot, checks);
      let result: number | bigint;
      try {
        result = fn(this);
      } catch (err) {
        if (err instanceof VmFault) throw err;
        throw new VmFault(VmErrorCode.HELPER_FAULT, slot, `helper ${id} failed: ${(err as Error).message}`, { cause: err });
      }
      this.setHalves(HELPER_RESULT, result);
      return this.stopRequested ? HelperStatus.STOP : HelperStatus.CONTINUE;
    } catch (err) {
      const fault = err instanceof VmFault ? err : new VmFault(VmErrorCode.HELPER_FAULT, slot, `helper failed: ${(err as Error).message}`, { cause: err });
      this.hostFaults.set(this.i32[CTRL_CURRENT >> 2]!, fault);
      return HelperStatus.FAULT;
    }
  }

  private setHalves(at: number, value: number | bigint): void {
    let lo: number;
    let hi: number;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= -2147483648 && value < TWO32) {
      lo = value | 0;
      hi = value < 0 ? -1 : 0;
    } else {
      const big = BigInt.asUintN(64, BigInt(value));
      lo = Number(big & 0xffffffffn) | 0;
      hi = Number(big >> 32n) | 0;
    }
    this.i32[at >> 2] = lo;
    this.i32[(at >> 2) + 1] = hi;
  }

  // HelperContext: what a helper sees of this run, with the interpreter's fault semantics.
  argU64(n: number): bigint {
    const at = (HELPER_ARGS >> 2) + 2 * (n - 1);
    return toBigU(this.i32[at]!, this.i32[at + 1]!);
  }

  argNumber(n: number): number {
    const at = (HELPER_ARGS >> 2) + 2 * (n - 1);
    const hi = this.i32[at + 1]! >>> 0;
    if (hi >= 0x200000) this.fault(`argument ${n} (${this.argU64(n)}) is too large`);
    return hi * TWO32 + (this.i32[at]! >>> 0);
  }

  argU32(n: number): number {
    return this.i32[(HELPER_ARGS >> 2) + 2 * (n - 1)]! >>> 0;
  }

  read(address: number, length: number): Uint8Array {
    return this.helperView(address, length, false);
  }

  write(address: number, length: number): Uint8Array {
    return this.helperView(address, length, true);
  }

  private helperView(address: number, length: number, write: boolean): Uint8Array {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || length < 0) this.fault(`bad buffer ${address}+${length}`);
    if (length === 0) return new Uint8Array(0);
    const table = this.table;
    for (let i = 0; i < table.length; i++) {
      const r = table[i]!;
      if (address >= r.address && address + length <= r.address + r.size) {
        if (write && !r.writable) {
          throw new VmFault(VmErrorCode.MEMORY_ACCESS, this.slot, `write of ${length} bytes to read-only ${r.name} at 0x${address.toString(16)}`, { address: BigInt(address), size: length });
        }
        // A helper's write to the stack is zeroed before the next run, as the program's own.
        if (write && r === STACK && address < this.i32[CTRL_STACK_LOW >> 2]!) this.i32[CTRL_STACK_LOW >> 2] = address;
        const k = (address ^ (length << 4)) & (VIEW_CACHE - 1);
        if (this.viewAddress[k] === address && this.viewLength[k] === length) return this.views[k]!;
        const view = this.bytes.subarray(address, address + length);
        this.viewAddress[k] = address;
        this.viewLength[k] = length;
        this.views[k] = view;
        return view;
      }
    }
    throw new VmFault(VmErrorCode.MEMORY_ACCESS, this.slot, `${write ? 'write' : 'read'} of ${length} bytes at 0x${address.toString(16)} is outside every mapped region`, { address: BigInt(address), size: length });
  }

  stop(): void {
    this.stopRequested = true;
  }

  fault(reason: string): never {
    throw new VmFault(VmErrorCode.HELPER_FAULT, this.slot, reason);
  }
}

/** A wasm trap is a compiler or verifier bug, never a program's fault: still a fault value, not a crash. */
function trapFault(err: unknown): VmFault {
  if (err instanceof VmFault) return err;
  return new VmFault(VmErrorCode.MEMORY_ACCESS, -1, `wasm trap: ${(err as Error).message}`, { cause: err });
}
