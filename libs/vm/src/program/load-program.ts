import { VmLoadError, formatLocation } from '../errors.js';
import { loadObject, type LoadedObject } from '../elf/load-object.js';
import { validateSlots, type DecodedProgram } from '../isa/decode.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS } from '../memory.js';
import { PROGRAM_TYPES, programTypeForSection, type ProgramType, type ProgramTypeName } from '../platform/program-types.js';
import type { HelperPrototype, Platform, RegionInfo } from '../platform/types.js';
import { MapStore } from '../abi/maps.js';
import { verify } from '../verifier/verify.js';
import type { VerifiedProgram } from '../verifier/types.js';

export interface LoadProgramOptions {
  /** program section (default: the only one, or `cf_ebpf_main` in .text) */
  section?: string;
  /** override the type the section name selects */
  type?: ProgramTypeName;
  /** per-run instruction budget; null = none (the verifier then rejects loops) */
  budget?: number | null;
}

/** A program that loaded and verified: ready to be instantiated per tenant. */
export interface LoadedProgram {
  readonly type: ProgramType;
  readonly object: LoadedObject;
  readonly decoded: DecodedProgram;
  readonly platform: Platform;
  readonly verified: VerifiedProgram;
  readonly budget: number | null;
}

export const DEFAULT_PROGRAM_BUDGET = 100_000;

/**
 * ELF bytes → a verified program. Every failure is a VmLoadError (ElfError, VerifierError …)
 * naming the instruction and, when the object has BTF line info, the source line.
 */
export function loadProgram(bytes: Uint8Array, options: LoadProgramOptions = {}): LoadedProgram {
  const object = loadObject(bytes, { section: options.section });
  const type = options.type ? PROGRAM_TYPES[options.type] : programTypeForSection(object.section);
  const budget = options.budget === undefined ? DEFAULT_PROGRAM_BUDGET : options.budget;
  const helpers = new Map<number, HelperPrototype>(type.helpers.map((h) => [h.id, { id: h.id, name: h.name, args: h.args, returns: h.returns }]));
  try {
    const decoded = validateSlots(object.slots, { helpers });
    const mapStore = new MapStore(object.maps, object.mapsAddress);
    const regions: RegionInfo[] = [
      { name: 'context', address: CONTEXT_ADDRESS, size: type.context.size, writable: type.context.writable },
      { name: 'packet', address: PACKET_ADDRESS, size: type.packetRegionBytes, writable: false },
      ...object.dataSections.map((d) => ({ name: d.name, address: d.address, size: d.bytes.length, writable: d.writable })),
      ...mapStore.regions.map((r) => ({ name: r.name, address: r.address, size: r.bytes.length, writable: true })),
    ];
    const platform: Platform = {
      name: type.name,
      context: type.context,
      helpers,
      regions,
      maps: object.maps.map((m) => ({ name: m.name, handle: m.handle, keySize: m.keySize, valueSize: m.valueSize })),
      budget,
      lineOf: object.lineOf,
    };
    const verified = verify(decoded, platform);
    return { type, object, decoded, platform, verified, budget };
  } catch (err) {
    if (err instanceof VmLoadError && err.index !== undefined && !err.source) {
      err.source = object.lineOf(err.index);
      if (err.source) err.message = err.message.replace(/^instruction (\d+):/, `instruction $1 (${formatLocation(err.source)}):`);
    }
    throw err;
  }
}
