import { VerifierError, type VmErrorCode } from '../errors.js';
import type { BufferCheck } from '../helpers.js';
import type { DecodedProgram } from '../isa/decode.js';
import { STACK_FRAME_BYTES } from '../memory.js';
import type { MapInfo, Platform, RegionInfo } from '../platform/types.js';

/**
 * What one verification run shares across its parts: the program, the platform looked up by
 * name and handle, what has been learned for the result, and how to fail at an instruction.
 */
export class VerifierContext {
  readonly regions: ReadonlyMap<string, RegionInfo>;
  readonly mapsByHandle: ReadonlyMap<number, number>;
  readonly runtimeChecks = new Set<number>();
  readonly bufferChecks = new Map<number, BufferCheck[]>();
  readonly helpersUsed = new Set<number>();
  maxStackDepth = 0;
  maxCallDepth = 1;

  constructor(
    readonly program: DecodedProgram,
    readonly platform: Platform,
  ) {
    this.regions = new Map(platform.regions.map((r) => [r.name, r]));
    this.mapsByHandle = new Map(platform.maps.map((m, i) => [m.handle, i]));
    for (const field of platform.context.fields) {
      // A platform bug, not bad input: the program type must list the regions its context names.
      if ((field.kind === 'region' || field.kind === 'region-end') && !this.regions.has(field.region ?? '')) {
        throw new Error(`platform ${platform.name}: context field ${field.name} points at region '${field.region}', which is not in platform.regions`);
      }
    }
  }

  map(index: number): MapInfo {
    return this.platform.maps[index]!;
  }

  mapName = (index: number): string => this.platform.maps[index]?.name ?? `#${index}`;

  fail(code: VmErrorCode, index: number, reason: string): never {
    throw new VerifierError(code, index, reason, { source: this.platform.lineOf?.(index) });
  }

  /** A helper buffer at `slot` whose length is checked at run time (once per argument, whatever the path). */
  addBufferCheck(slot: number, check: BufferCheck): void {
    this.runtimeChecks.add(slot);
    const list = this.bufferChecks.get(slot) ?? [];
    if (!list.some((c) => c.pointer === check.pointer)) list.push(check);
    this.bufferChecks.set(slot, list);
  }

  noteStackUse(lowestOffset: number): void {
    if (Number.isFinite(lowestOffset) && lowestOffset < 0) this.maxStackDepth = Math.max(this.maxStackDepth, Math.min(STACK_FRAME_BYTES, -lowestOffset));
  }
}
