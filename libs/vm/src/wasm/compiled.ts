import { STACK_TOP } from '../memory.js';
import { SLOT_DATA, STATUS_CACHE_ENTRIES, STATUS_ENTRY_BYTES, WASM_PAGE } from './layout.js';
import type { WasmModule } from './wasm-api.js';

/*
 * What a compiled module is, apart from the compiler that makes it: the engine, the caches and
 * the host use these without loading binaryen (compile.ts, loaded on demand by compiler.ts).
 */

/** A region the program may address, as the module's bounds checks know it. */
export interface WasmRegion {
  name: string;
  address: number;
  size: number;
  writable: boolean;
}

/** How the batch entry lays out each packet for the program type (see ProgramType.fill). */
export interface PacketFill {
  kind: 'pfp' | 'xdp' | 'socket';
  ctxAddress: number;
  packetAddress: number;
  /** bytes of the packet region (PFP: data_end = data + this) */
  packetRegionBytes: number;
  /** largest IP packet a batch slot holds */
  maxPacket: number;
  /** batch slots */
  capacity: number;
}

export interface CompileOptions {
  /** host regions (the stack is added); fixed per module, so bounds checks compare with constants */
  regions: readonly WasmRegion[];
  /** slots whose memory access needs a bounds check: the verifier's runtimeChecks, or 'all' for unverified programs */
  checks: ReadonlySet<number> | 'all';
  /** index into `regions` of the region legacy packet loads read (default 0; null: none) */
  packetRegion?: number | null;
  /** the batch entry's packet layout; null: raw runs only */
  fill?: PacketFill | null;
  /** run binaryen's optimizer (default true) */
  optimize?: boolean;
  /**
   * Helpers compiled into the module instead of called in TypeScript, by helper number. Only
   * `skb_load_bytes` (Linux's bpf_skb_load_bytes: a copy out of the packet, which a socket
   * filter calls several times per packet) is offered; its semantics are the TypeScript one's.
   */
  intrinsics?: {
    skbLoadBytes?: number;
    /**
     * PFP's `get_src_ip_status`, answered from the status cache in the module's memory when the
     * host turned it on and holds the source (see layout.ts), else by the host as always. Only
     * with the PFP fill (the source address comes from the packet's IP header). `hostOnly`: call
     * slots whose buffers the verifier left to run-time checks, which only the host makes.
     */
    srcIpStatus?: { helper: number; hostOnly: readonly number[] };
  };
  /** functions of more blocks than this skip the Relooper (default 1,024; tests lower it to cover the dispatch loop) */
  relooperMaxBlocks?: number;
}

export interface BatchLayout {
  address: number;
  stride: number;
  capacity: number;
}

export interface CompiledProgram {
  readonly module: WasmModule;
  readonly regions: readonly WasmRegion[];
  readonly batch: BatchLayout | null;
  /** address of the status cache (STATUS_CACHE_ENTRIES entries), or null when the module has none */
  readonly statusCache: number | null;
  readonly pages: number;
  readonly wasmBytes: number;
  /** the module's bytes, for a ModuleStore */
  readonly wasm: Uint8Array;
  /** milliseconds spent building, optimising and compiling */
  readonly compileMs: number;
}

/**
 * Part of every program hash (program-cache.ts): raise it whenever the code the compiler
 * generates changes, so that no store hands out a module of an older compiler.
 */
export const COMPILER_VERSION = 3;

/**
 * Where the batch area and the status cache start and how many pages the memory has: fixed by
 * the regions, the fill and whether there is a cache. Both areas lie past every program region,
 * where no checked access reaches.
 */
export function memoryLayout(regions: readonly WasmRegion[], fill: PacketFill | null, statusCache = false): { batch: BatchLayout | null; statusCache: number | null; pages: number } {
  let end = Math.max(STACK_TOP, ...regions.map((r) => r.address + r.size));
  let batch: BatchLayout | null = null;
  if (fill) {
    const address = align(end + 0x1000, 0x1000);
    // 8 spare bytes: the run loop pads the packet with zeros to whole words before copying it.
    const stride = align(SLOT_DATA + fill.maxPacket + 8, 16);
    batch = { address, stride, capacity: fill.capacity };
    end = address + stride * fill.capacity;
  }
  let cache: number | null = null;
  if (statusCache) {
    cache = align(end + 0x1000, 0x1000);
    end = cache + STATUS_CACHE_ENTRIES * STATUS_ENTRY_BYTES;
  }
  return { batch, statusCache: cache, pages: Math.ceil(end / WASM_PAGE) + 1 };
}

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
