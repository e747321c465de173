import type { LoadedProgram } from '../program/load-program.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS } from '../memory.js';
import { MapStore } from '../abi/maps.js';
import { compileProgram, type CompiledProgram, type PacketFill, type WasmRegion } from './compile.js';

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

const SKB_LOAD_BYTES = 26;

const cache = new WeakMap<LoadedProgram, Map<number, CompiledProgram>>();

/**
 * Gives a loaded program a module compiled elsewhere for the same object (another thread posted
 * it: a WebAssembly.Module is structured-cloneable), so instances of it skip binaryen and
 * `new WebAssembly.Module`. The host guarantees it was compiled from the same object and options.
 */
export function seedCompiled(program: LoadedProgram, compiled: CompiledProgram): void {
  let byCapacity = cache.get(program);
  if (!byCapacity) cache.set(program, (byCapacity = new Map()));
  byCapacity.set(compiled.batch?.capacity ?? defaultBatchCapacity(program), compiled);
}

/**
 * One compiled module per loaded program (and batch size): every tenant's instance of it has the
 * same regions at the same addresses, so the module is compiled once and instantiated per tenant.
 */
export function compiledFor(program: LoadedProgram, capacity: number): CompiledProgram {
  let byCapacity = cache.get(program);
  if (!byCapacity) cache.set(program, (byCapacity = new Map()));
  let compiled = byCapacity.get(capacity);
  if (!compiled) {
    const { type } = program;
    const fill: PacketFill = {
      kind: type.name === 'xdp' ? 'xdp' : type.name === 'socket' ? 'socket' : 'pfp',
      ctxAddress: CONTEXT_ADDRESS,
      packetAddress: PACKET_ADDRESS,
      packetRegionBytes: type.packetRegionBytes,
      maxPacket: type.maxPacket,
      capacity,
    };
    // Legacy packet loads read the first region, as the interpreter does with the same region list.
    compiled = compileProgram(program.decoded, {
      regions: programRegions(program),
      checks: program.verified.runtimeChecks,
      // Legacy packet loads (ldabs, ldind) read the packet region (regions[1]), as the interpreter does.
      packetRegion: 1,
      fill,
      // A socket filter reads the packet through bpf_skb_load_bytes, several times per packet.
      intrinsics: type.name === 'socket' && type.helpers.some((h) => h.id === SKB_LOAD_BYTES) ? { skbLoadBytes: SKB_LOAD_BYTES } : undefined,
    });
    byCapacity.set(capacity, compiled);
  }
  return compiled;
}
