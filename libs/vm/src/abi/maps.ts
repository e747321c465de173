import { VmErrorCode } from '../errors.js';
import { ElfError } from '../elf/elf-error.js';
import type { MapDefinition } from '../elf/load-object.js';
import type { MemoryRegion } from '../memory.js';
import { layoutRegions } from '../memory.js';
import { LruMap } from './memory-state.js';

export const MapType = { HASH: 1, ARRAY: 2, LRU_HASH: 9 } as const;
const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;
const Errno = { ENOENT: -2, E2BIG: -7, EEXIST: -17, EINVAL: -22 } as const;

/**
 * One map's storage. Values live in program memory (a region of `maxEntries` slots), because
 * a lookup hands the program a pointer it reads and writes directly.
 */
class BpfMap {
  readonly region: MemoryRegion;
  private readonly slots: LruMap<string, number> | Map<string, number>;
  private readonly free: number[] = [];

  constructor(readonly def: MapDefinition, region: MemoryRegion) {
    this.region = region;
    this.slots = def.type === MapType.LRU_HASH ? new LruMap(def.maxEntries) : new Map();
    for (let i = def.maxEntries - 1; i >= 0; i--) this.free.push(i);
  }

  private address(slot: number): number {
    return this.region.address + slot * this.def.valueSize;
  }

  private slotBytes(slot: number): Uint8Array {
    return this.region.bytes.subarray(slot * this.def.valueSize, (slot + 1) * this.def.valueSize);
  }

  lookup(key: Uint8Array): number {
    if (this.def.type === MapType.ARRAY) {
      const index = readIndex(key);
      return index < this.def.maxEntries ? this.address(index) : 0;
    }
    const slot = this.slots.get(keyString(key));
    return slot === undefined ? 0 : this.address(slot);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > UpdateFlag.EXIST) return Errno.EINVAL;
    if (this.def.type === MapType.ARRAY) {
      const index = readIndex(key);
      if (index >= this.def.maxEntries) return Errno.E2BIG;
      if (flags === UpdateFlag.NOEXIST) return Errno.EEXIST;
      this.slotBytes(index).set(value);
      return 0;
    }
    const k = keyString(key);
    let slot = this.slots.get(k);
    if (slot !== undefined && flags === UpdateFlag.NOEXIST) return Errno.EEXIST;
    if (slot === undefined && flags === UpdateFlag.EXIST) return Errno.ENOENT;
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        if (!(this.slots instanceof LruMap)) return Errno.E2BIG;
        // Evict the least recently used entry and reuse its slot.
        const [oldest, oldSlot] = this.slots.entries().next().value as [string, number];
        this.slots.delete(oldest);
        slot = oldSlot;
      }
      this.slots.set(k, slot);
    }
    this.slotBytes(slot).set(value);
    return 0;
  }

  delete(key: Uint8Array): number {
    if (this.def.type === MapType.ARRAY) return Errno.EINVAL;
    const k = keyString(key);
    const slot = this.slots.get(k);
    if (slot === undefined) return Errno.ENOENT;
    this.slots.delete(k);
    this.slotBytes(slot).fill(0);
    this.free.push(slot);
    return 0;
  }
}

const keyString = (key: Uint8Array) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
const readIndex = (key: Uint8Array) => new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);

/** The maps of one program instance, found by the handle lddw loaded. */
export class MapStore {
  private readonly byHandle = new Map<number, BpfMap>();
  readonly regions: MemoryRegion[];

  /** `address`: where map values start (after the object's data sections, see LoadedObject.mapsAddress). */
  constructor(definitions: readonly MapDefinition[], address: number) {
    for (const def of definitions) {
      if (!Object.values(MapType).includes(def.type as 1)) {
        throw new ElfError(`map '${def.name}' has type ${def.type}; supported: hash (1), array (2), LRU hash (9)`, undefined, VmErrorCode.BAD_MAP);
      }
      if (def.type === MapType.ARRAY && def.keySize !== 4) throw new ElfError(`array map '${def.name}' must have a 4-byte key`, undefined, VmErrorCode.BAD_MAP);
    }
    this.regions = layoutRegions(definitions.map((d) => ({ name: `map ${d.name}`, bytes: new Uint8Array(d.maxEntries * d.valueSize), writable: true })), address);
    definitions.forEach((def, i) => this.byHandle.set(def.handle, new BpfMap(def, this.regions[i]!)));
  }

  get(handle: number): BpfMap | undefined {
    return this.byHandle.get(handle);
  }
}
