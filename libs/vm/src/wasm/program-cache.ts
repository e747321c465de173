import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { LoadedProgram } from '../program/load-program.js';
import { encodeProgram } from '../isa/instruction.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS } from '../memory.js';
import { MapStore } from '../abi/maps.js';
import { COMPILER_VERSION, memoryLayout, type CompileOptions, type CompiledProgram, type PacketFill, type WasmRegion } from './compiled.js';
import { compileProgram, compilerLoaded, loadCompiler } from './compiler.js';
import { WasmApi } from './wasm-api.js';

/** Batch slots per instance unless the host asks otherwise: more for PFP's 1.5 KB packets than for 64 KB ones. */
export function defaultBatchCapacity(program: LoadedProgram): number {
  return program.type.maxPacket <= 4096 ? 64 : 8;
}

/** The regions of a loaded program in the order ProgramInstance maps them (the context first). */
export function programRegions(program: LoadedProgram): WasmRegion[] {
  const { type, object } = program;
  const maps = new MapStore(object.maps, object.mapsAddress);
  return [
    { name: 'context', address: CONTEXT_ADDRESS, size: type.context.size, writable: type.context.writable },
    { name: 'packet', address: PACKET_ADDRESS, size: type.packetRegionBytes, writable: false },
    ...object.dataSections.map((d) => ({ name: d.name, address: d.address, size: d.bytes.length, writable: d.writable })),
    ...maps.regions.map((r) => ({ name: r.name, address: r.address, size: r.bytes.length, writable: r.writable })),
  ];
}

/**
 * Where compiled modules outlive the process (the CLI keeps them in a cache directory): wasm
 * bytes by key. The VM does no I/O itself; a store that fails or holds garbage costs a compile.
 */
export interface ModuleStore {
  get(key: string): Uint8Array | null;
  put(key: string, wasm: Uint8Array): void;
}

const SKB_LOAD_BYTES = 26;
const GET_SRC_IP_STATUS = 11;
/** Compiled modules kept by key in this thread: a redeploy of the same object (a rollback, a new budget, monitoring switched) skips the compile. */
const BY_KEY_LIMIT = 64;

const byProgram = new WeakMap<LoadedProgram, Map<number, CompiledProgram>>();
const byKey = new Map<string, CompiledProgram>();
let store: ModuleStore | null = null;

/** Sets (or with null, clears) the store compiled modules are also kept in and looked up from. */
export function setModuleStore(next: ModuleStore | null): void {
  store = next;
}

/** What the module of a loaded program is compiled with: the same for every tenant's instance. */
function compileOptions(program: LoadedProgram, capacity: number): CompileOptions {
  const { type } = program;
  const fill: PacketFill = {
    kind: type.name === 'xdp' ? 'xdp' : type.name === 'socket' ? 'socket' : 'pfp',
    ctxAddress: CONTEXT_ADDRESS,
    packetAddress: PACKET_ADDRESS,
    packetRegionBytes: type.packetRegionBytes,
    maxPacket: type.maxPacket,
    capacity,
  };
  return {
    regions: programRegions(program),
    checks: program.verified.runtimeChecks,
    // Legacy packet loads (ldabs, ldind) read the packet region (regions[1]), as the interpreter does.
    packetRegion: 1,
    fill,
    intrinsics: intrinsicsOf(program, fill),
  };
}

function intrinsicsOf(program: LoadedProgram, fill: PacketFill): CompileOptions['intrinsics'] {
  const { type } = program;
  // A socket filter reads the packet through bpf_skb_load_bytes, several times per packet.
  if (type.name === 'socket' && type.helpers.some((h) => h.id === SKB_LOAD_BYTES)) return { skbLoadBytes: SKB_LOAD_BYTES };
  // A PFP filter looks up the source's status on nearly every packet.
  if (fill.kind === 'pfp' && type.helpers.some((h) => h.id === GET_SRC_IP_STATUS && h.name === 'get_src_ip_status')) {
    const hostOnly = [...(program.verified.bufferChecks?.keys() ?? [])].sort((a, b) => a - b);
    return { srcIpStatus: { helper: GET_SRC_IP_STATUS, hostOnly } };
  }
  return undefined;
}

/** The program hash: everything the generated module depends on (instructions, layout, checks, compiler version). */
export function compileKey(program: LoadedProgram, capacity: number): string {
  const options = compileOptions(program, capacity);
  const checks = options.checks === 'all' ? 'all' : [...options.checks].sort((a, b) => a - b);
  const text = JSON.stringify({ v: COMPILER_VERSION, ...options, checks });
  const code = encodeProgram(program.decoded.slots);
  const input = new Uint8Array(code.length + text.length * 3);
  input.set(code);
  const { written } = new TextEncoder().encodeInto(text, input.subarray(code.length));
  return bytesToHex(sha256(input.subarray(0, code.length + written!)));
}

/**
 * Gives a loaded program a module compiled elsewhere for the same object (another thread posted
 * it: a WebAssembly.Module is structured-cloneable), so instances of it skip binaryen and
 * `new WebAssembly.Module`. The host guarantees it was compiled from the same object and options.
 */
export function seedCompiled(program: LoadedProgram, compiled: CompiledProgram): void {
  remember(program, compiled.batch?.capacity ?? defaultBatchCapacity(program), compiled);
}

function remember(program: LoadedProgram, capacity: number, compiled: CompiledProgram): void {
  let byCapacity = byProgram.get(program);
  if (!byCapacity) byProgram.set(program, (byCapacity = new Map()));
  byCapacity.set(capacity, compiled);
}

/** A module from the thread's cache or the store, or null: never compiles. */
function cached(program: LoadedProgram, capacity: number): CompiledProgram | null {
  const known = byProgram.get(program)?.get(capacity);
  if (known) return known;
  if (byKey.size === 0 && !store) return null;
  const key = compileKey(program, capacity);
  let compiled = byKey.get(key) ?? null;
  if (!compiled && store) compiled = fromStore(program, capacity, key);
  if (compiled) remember(program, capacity, compiled);
  return compiled;
}

function fromStore(program: LoadedProgram, capacity: number, key: string): CompiledProgram | null {
  let wasm: Uint8Array | null;
  try {
    wasm = store!.get(key);
  } catch {
    return null;
  }
  if (!wasm) return null;
  const started = performance.now();
  let module;
  try {
    module = new WasmApi.Module(wasm);
  } catch {
    return null;
  }
  const options = compileOptions(program, capacity);
  const { batch, statusCache, pages } = memoryLayout(options.regions, options.fill ?? null, options.intrinsics?.srcIpStatus !== undefined);
  const compiled: CompiledProgram = { module, regions: options.regions, batch, statusCache, pages, wasmBytes: wasm.length, wasm, compileMs: performance.now() - started };
  keep(key, compiled);
  return compiled;
}

function keep(key: string, compiled: CompiledProgram): void {
  byKey.delete(key);
  byKey.set(key, compiled);
  if (byKey.size > BY_KEY_LIMIT) byKey.delete(byKey.keys().next().value!);
}

/**
 * One compiled module per loaded program (and batch size): every tenant's instance of it has the
 * same regions at the same addresses, so the module is compiled once and instantiated per tenant.
 * Found by program hash when this thread (or the store) already has it; otherwise compiled,
 * which needs `loadCompiler()` to have resolved.
 */
export function compiledFor(program: LoadedProgram, capacity: number): CompiledProgram {
  const found = cached(program, capacity);
  if (found) return found;
  const key = compileKey(program, capacity);
  const compiled = compileProgram(program.decoded, compileOptions(program, capacity));
  keep(key, compiled);
  remember(program, capacity, compiled);
  if (store) {
    try {
      store.put(key, compiled.wasm);
    } catch {
      // a cache that cannot be written only costs the next process a compile
    }
  }
  return compiled;
}

/**
 * Makes sure `compiledFor` will find the program's module: from the cache or the store when
 * there (binaryen is then never loaded), else compiled after loading the compiler.
 */
export async function ensureCompiled(program: LoadedProgram, capacity = defaultBatchCapacity(program)): Promise<CompiledProgram> {
  const found = cached(program, capacity);
  if (found) return found;
  if (!compilerLoaded()) await loadCompiler();
  return compiledFor(program, capacity);
}
