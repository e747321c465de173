import { VmErrorCode, VmFault } from './errors.js';

/**
 * The helper ABI: the host fills one table (number → implementation) and both engines call
 * through it. A helper reads its arguments (r1–r5) and the run's memory through `HelperContext`
 * and returns r0. Returning a negative number gives its 64-bit two's complement.
 */
export interface HelperContext {
  /** Argument `n` (1–5) as an unsigned 64-bit BigInt. */
  argU64(n: number): bigint;
  /** Argument `n` as a number; a fault when it does not fit in 53 bits (pointers and lengths always do). */
  argNumber(n: number): number;
  /** Low 32 bits of argument `n`, unsigned. */
  argU32(n: number): number;
  /** A view of `length` bytes of program memory at `address`; a fault when they are not all mapped. */
  read(address: number, length: number): Uint8Array;
  /** A writable view of `length` bytes at `address`; a fault when not mapped or read-only. */
  write(address: number, length: number): Uint8Array;
  /** Ends the run after this helper returns, with r0 = its return value. */
  stop(): void;
  /** Refuses the call: the run ends with a helper fault carrying `reason`. */
  fault(reason: string): never;
}

export type HelperFunction = (ctx: HelperContext) => number | bigint;

export interface HelperDefinition {
  readonly id: number;
  readonly name: string;
  readonly fn: HelperFunction;
}

export class HelperTable {
  private readonly byId = new Map<number, HelperDefinition>();

  constructor(definitions: Iterable<HelperDefinition> = []) {
    for (const definition of definitions) this.add(definition);
  }

  add(definition: HelperDefinition): this {
    if (!Number.isInteger(definition.id) || definition.id < -(2 ** 31) || definition.id >= 2 ** 31) throw new RangeError(`helper id ${definition.id} is not a 32-bit integer`);
    if (this.byId.has(definition.id)) throw new Error(`helper ${definition.id} (${definition.name}) is defined twice`);
    this.byId.set(definition.id, definition);
    return this;
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  get(id: number): HelperDefinition | undefined {
    return this.byId.get(id);
  }

  ids(): number[] {
    return [...this.byId.keys()].sort((a, b) => a - b);
  }
}

/**
 * A helper's buffer whose length the verifier could not bound (a run-time check instead of a
 * refusal): argument `pointer` (r1–r5) with `size` bytes from argument `size`.
 */
export interface BufferCheck {
  readonly pointer: number;
  readonly size: number;
  /** the helper writes it: the bytes must be writable */
  readonly write: boolean;
  /** a null pointer is allowed (the helper then ignores the size) */
  readonly nullable: boolean;
}

/** Buffer checks by the slot of the helper call they guard. */
export type BufferChecks = ReadonlyMap<number, readonly BufferCheck[]>;

/**
 * The run-time check both engines make before a helper call in `BufferChecks`: every buffer lies
 * inside one mapped region (writable when written), or the run ends with a memory fault at the
 * call. Done here, over `HelperContext`, so the interpreter and the wasm engine fault alike.
 */
export function checkBuffers(ctx: HelperContext, slot: number, checks: readonly BufferCheck[]): void {
  for (const check of checks) {
    const address = ctx.argU64(check.pointer);
    const length = ctx.argU64(check.size);
    if (length === 0n || (check.nullable && address === 0n)) continue;
    const what = `run-time check of helper buffer r${check.pointer}: ${length} bytes (r${check.size}) at 0x${address.toString(16)}`;
    const fault = () => new VmFault(VmErrorCode.MEMORY_ACCESS, slot, `${what} are not inside one ${check.write ? 'writable ' : ''}mapped region`, {
      address, size: length < 2n ** 53n ? Number(length) : undefined,
    });
    if (address + length > BigInt(Number.MAX_SAFE_INTEGER)) throw fault();
    try {
      if (check.write) ctx.write(Number(address), Number(length));
      else ctx.read(Number(address), Number(length));
    } catch (err) {
      if (err instanceof VmFault) throw fault();
      throw err;
    }
  }
}
