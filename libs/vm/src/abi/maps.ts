import { VmErrorCode } from '../errors.js';
import { ElfError } from '../elf/elf-error.js';
import type { MapDefinition } from '../elf/load-object.js';
import type { MemoryRegion } from '../memory.js';
import { layoutRegions } from '../memory.js';
import { LruTable } from '../tables/lru-table.js';

export const MapType = { HASH: 1, ARRAY: 2, LRU_HASH: 9 } as const;
const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2 } as const;
const Errno = { ENOENT: -2, E2BIG: -7, EEXIST: -17, EINVAL: -22 } as const;

/**
 * One map's storage. Values live in program memory (a region of `maxEntries` slots), because
 * a lookup hands the program a pointer it reads and writes directly; the key table's slot is the
 * value's slot, so an evicted entry's value slot is the one the new entry gets.
 */
class BpfMap {
  readonly region: MemoryRegion;
  /** hash and LRU hash maps: keys to slots (null for arrays) */
  readonly slots: LruTable | null;

  constructor(readonly def: MapDefinition, region: MemoryRegion) {
    this.region = region;
    this.slots = def.type === MapType.ARRAY ? null : new LruTable({ keyBytes: def.keySize, capacity: def.maxEntries });
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
    const slot = this.slots!.get(keyOf(key, this.def.keySize));
    return slot < 0 ? 0 : this.address(slot);
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
    const k = keyOf(key, this.def.keySize);
    const slots = this.slots!;
    let slot = slots.get(k);
    if (slot >= 0 && flags === UpdateFlag.NOEXIST) return Errno.EEXIST;
    if (slot < 0 && flags === UpdateFlag.EXIST) return Errno.ENOENT;
    if (slot < 0) {
      // An LRU hash evicts its least recently used entry and reuses that slot; a hash is full.
      slot = this.def.type === MapType.LRU_HASH ? slots.add(k) : slots.tryAdd(k);
      if (slot < 0) return Errno.E2BIG;
    }
    this.slotBytes(slot).set(value);
    return 0;
  }

  delete(key: Uint8Array): number {
    if (this.def.type === MapType.ARRAY) return Errno.EINVAL;
    const slot = this.slots!.delete(keyOf(key, this.def.keySize));
    if (slot < 0) return Errno.ENOENT;
    this.slotBytes(slot).fill(0);
    return 0;
  }
}

/** The map's key: the helper reads exactly keySize bytes of program memory. */
const keyOf = (key: Uint8Array, keySize: number) => (key.length === keySize ? key : key.subarray(0, keySize));
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
