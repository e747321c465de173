/**
 * The program's address space: named regions at fixed virtual addresses. Every load and store
 * must fall wholly inside one region (and a writable one for stores); anything else is a fault.
 * Addresses are small and the same for every engine, so the interpreter and the wasm compiler
 * agree even on programs that store pointers.
 */
export interface MemoryRegion {
  readonly name: string;
  readonly address: number;
  readonly bytes: Uint8Array;
  readonly writable: boolean;
}

export const STACK_FRAME_BYTES = 2048;
/** Frames including the entry function, as Linux's MAX_CALL_FRAMES. */
export const MAX_CALL_DEPTH = 8;
export const STACK_BYTES = STACK_FRAME_BYTES * MAX_CALL_DEPTH;
/** Nothing is mapped below this address, so a null pointer (plus a small offset) always faults. */
export const STACK_ADDRESS = 0x1000;
/** r10 at entry: one past the top of the entry function's frame. */
export const STACK_TOP = STACK_ADDRESS + STACK_BYTES;
export const REGION_ALIGN = 0x1000;
/** First address handed to host regions: the stack plus one unmapped page. */
export const FIRST_REGION_ADDRESS = STACK_TOP + REGION_ALIGN;

export interface RegionSpec {
  name: string;
  bytes: Uint8Array;
  writable?: boolean;
}

/**
 * Places regions one after another from `FIRST_REGION_ADDRESS`, page-aligned, with an unmapped
 * page between neighbours so that running off the end of one never reaches the next.
 */
export function layoutRegions(specs: readonly RegionSpec[], start = FIRST_REGION_ADDRESS): MemoryRegion[] {
  let address = start;
  return specs.map((spec) => {
    const region = { name: spec.name, address, bytes: spec.bytes, writable: spec.writable ?? true };
    address += Math.ceil(Math.max(spec.bytes.length, 1) / REGION_ALIGN) * REGION_ALIGN + REGION_ALIGN;
    return region;
  });
}

/*
 * Fixed places for what a program type maps (its context and packet buffer), then the object's
 * own data sections. Map handles are values lddw loads for a map reference: never mapped memory.
 */
export const CONTEXT_ADDRESS = FIRST_REGION_ADDRESS;
export const PACKET_ADDRESS = CONTEXT_ADDRESS + 2 * REGION_ALIGN;
/** Largest packet region: a UDP datagram's IP packet plus the PFP header, rounded to pages. */
export const MAX_PACKET_REGION = 0x11000;
export const DATA_ADDRESS = PACKET_ADDRESS + MAX_PACKET_REGION + REGION_ALIGN;
export const MAP_HANDLE_BASE = 0x7f000000;
export const MAP_HANDLE_STRIDE = 0x100;
