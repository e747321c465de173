/*
 * The bounded table every per-source table is built on: fixed-size byte keys, a preallocated slot
 * per entry, O(1) lookup, insert, delete and eviction whatever happened before.
 *
 * Why not a Map: evicting with `map.delete(map.keys().next().value)` walks the deleted holes V8
 * leaves at the front of a Map's ordered storage, so an insert into a full table got slower the
 * more had been evicted (10 µs → 439 µs). Here nothing is ever walked:
 * - the index is open addressing with linear probing over an Int32Array (load ≤ 1/2) and
 *   backward-shift deletion, so a delete leaves no tombstone for later probes to step over;
 * - recency is an intrusive doubly-linked list through two Int32Arrays (`prev`, `next`), so
 *   touching and evicting the least recently used entry are a few array writes;
 * - free slots are a singly-linked list through `next`.
 * Callers keep their values in their own typed arrays indexed by slot (see state-tables.ts), so a
 * source costs bytes, not objects the GC must trace.
 *
 * The hash is seeded per table at random: an attacker choosing source addresses cannot aim them at
 * one probe chain.
 */

const NONE = -1;

export interface LruTableOptions {
  /** bytes in every key (16: an IP; 18: IP and port; 36: a flow) */
  keyBytes: number;
  /** bytes the caller keeps per slot alongside (counted into `maxBytes`) */
  valueBytes?: number;
  /** the byte budget the capacity is derived from (see bytesFor) */
  maxBytes?: number;
  /** a fixed number of entries instead (BPF maps: max_entries) */
  capacity?: number;
  /** called with the slot of the entry an insert is about to evict, before it is reused */
  onEvict?: (slot: number) => void;
}

const indexSizeFor = (capacity: number): number => {
  let size = 2;
  while (size < capacity * 2) size *= 2;
  return size;
};

export class LruTable {
  /** the most entries this table holds */
  readonly capacity: number;
  readonly keyBytes: number;
  /** the bytes this table's arrays take, values included (see bytesFor) */
  readonly bytes: number;
  private readonly keys: Uint8Array;
  private readonly hashes: Int32Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  /** slot + 1 per index position; 0 = empty */
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly seed: number;
  private readonly valueBytes: number;
  private readonly onEvict: ((slot: number) => void) | undefined;
  /** most recently used */
  private head = NONE;
  /** least recently used */
  private tail = NONE;
  private freeHead = NONE;
  private unused = 0;
  private count = 0;
  /** entries evicted to make room since creation */
  evictions = 0;

  /**
   * Bytes a table of `capacity` entries takes: per entry the key, its hash, two list links and the
   * caller's values; plus an index of the next power of two ≥ 2 × capacity, 4 bytes a position.
   */
  static bytesFor(capacity: number, keyBytes: number, valueBytes = 0): number {
    return capacity * (keyBytes + 12 + valueBytes) + indexSizeFor(capacity) * 4;
  }

  /** The most entries that fit in `maxBytes` (at least 1). */
  static capacityFor(maxBytes: number, keyBytes: number, valueBytes = 0): number {
    let lo = 1;
    let hi = Math.max(1, Math.floor(maxBytes / (keyBytes + 12 + valueBytes)));
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (LruTable.bytesFor(mid, keyBytes, valueBytes) <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  constructor(options: LruTableOptions) {
    const { keyBytes } = options;
    if (!Number.isInteger(keyBytes) || keyBytes < 1) throw new RangeError('keyBytes must be a positive integer');
    this.valueBytes = options.valueBytes ?? 0;
    const capacity = options.capacity ?? (options.maxBytes !== undefined ? LruTable.capacityFor(options.maxBytes, keyBytes, this.valueBytes) : 0);
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity (or maxBytes) must give at least one entry');
    this.capacity = capacity;
    this.keyBytes = keyBytes;
    this.onEvict = options.onEvict;
    this.keys = new Uint8Array(capacity * keyBytes);
    this.hashes = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
    this.next = new Int32Array(capacity);
    const size = indexSizeFor(capacity);
    this.index = new Int32Array(size);
    this.mask = size - 1;
    this.seed = (Math.random() * 0x100000000) | 0;
    this.bytes = LruTable.bytesFor(capacity, keyBytes, this.valueBytes);
  }

  get size(): number {
    return this.count;
  }

  /** The entry's slot without touching its recency, or -1. */
  find(key: Uint8Array): number {
    const h = this.hash(key);
    for (let pos = h & this.mask; ; pos = (pos + 1) & this.mask) {
      const at = this.index[pos]!;
      if (at === 0) return NONE;
      const slot = at - 1;
      if (this.hashes[slot] === h && this.keyEquals(slot, key)) return slot;
    }
  }

  /** The entry's slot, now the most recently used, or -1. */
  get(key: Uint8Array): number {
    const slot = this.find(key);
    if (slot !== NONE) this.touch(slot);
    return slot;
  }

  /**
   * The slot of a new entry for `key`, which must be absent (get it first): the most recently
   * used; when the table is full the least recently used entry is evicted (onEvict) to make room.
   */
  add(key: Uint8Array): number {
    let slot = this.takeFree();
    if (slot === NONE) {
      slot = this.tail;
      this.onEvict?.(slot);
      this.evictions++;
      this.removeSlot(slot);
      slot = this.takeFree();
    }
    this.place(slot, key);
    return slot;
  }

  /** Like add, but -1 instead of evicting when full (a plain hash map). */
  tryAdd(key: Uint8Array): number {
    const slot = this.takeFree();
    if (slot === NONE) return NONE;
    this.place(slot, key);
    return slot;
  }

  /** The entry's slot, added (and maybe evicting) if absent; touched either way. */
  upsert(key: Uint8Array): number {
    const slot = this.get(key);
    return slot === NONE ? this.add(key) : slot;
  }

  /** Removes the entry; its slot, or -1 if absent. */
  delete(key: Uint8Array): number {
    const slot = this.find(key);
    if (slot !== NONE) this.removeSlot(slot);
    return slot;
  }

  /** Removes the entry in `slot` (which must hold one). */
  deleteSlot(slot: number): void {
    this.removeSlot(slot);
  }

  /** Marks the entry in `slot` the most recently used. */
  touch(slot: number): void {
    if (slot === this.head) return;
    this.unlink(slot);
    this.linkHead(slot);
  }

  /** The least recently used entry's slot, or -1 when empty. */
  oldest(): number {
    return this.tail;
  }

  /** The next more recently used slot after `slot`, or -1. */
  newer(slot: number): number {
    return this.prev[slot]!;
  }

  /** A view of the key in `slot` (overwritten when the slot is reused: copy it to keep it). */
  keyAt(slot: number): Uint8Array {
    return this.keys.subarray(slot * this.keyBytes, (slot + 1) * this.keyBytes);
  }

  /** Occupied slots, least recently used first. */
  *slots(): IterableIterator<number> {
    for (let slot = this.tail; slot !== NONE; slot = this.prev[slot]!) yield slot;
  }

  clear(): void {
    this.index.fill(0);
    this.head = this.tail = this.freeHead = NONE;
    this.unused = 0;
    this.count = 0;
  }

  private takeFree(): number {
    if (this.freeHead !== NONE) {
      const slot = this.freeHead;
      this.freeHead = this.next[slot]!;
      return slot;
    }
    // Slots never used yet are handed out in order, so a fresh table needs no free list built.
    return this.unused < this.capacity ? this.unused++ : NONE;
  }

  private place(slot: number, key: Uint8Array): void {
    if (key.length !== this.keyBytes) throw new RangeError(`key must be ${this.keyBytes} bytes, not ${key.length}`);
    this.keys.set(key, slot * this.keyBytes);
    const h = this.hash(key);
    this.hashes[slot] = h;
    let pos = h & this.mask;
    while (this.index[pos] !== 0) pos = (pos + 1) & this.mask;
    this.index[pos] = slot + 1;
    this.linkHead(slot);
    this.count++;
  }

  private removeSlot(slot: number): void {
    // Find the slot's index position, then shift later members of its probe run back over it
    // (Knuth's algorithm R), so the run stays unbroken with no tombstone.
    let hole = this.hashes[slot]! & this.mask;
    while (this.index[hole] !== slot + 1) hole = (hole + 1) & this.mask;
    for (let pos = (hole + 1) & this.mask; ; pos = (pos + 1) & this.mask) {
      const at = this.index[pos]!;
      if (at === 0) break;
      const home = this.hashes[at - 1]! & this.mask;
      // `at` may fill the hole unless its home lies cyclically in (hole, pos].
      const homeAfterHole = hole <= pos ? home > hole && home <= pos : home > hole || home <= pos;
      if (!homeAfterHole) {
        this.index[hole] = at;
        hole = pos;
      }
    }
    this.index[hole] = 0;
    this.unlink(slot);
    this.next[slot] = this.freeHead;
    this.freeHead = slot;
    this.count--;
  }

  private linkHead(slot: number): void {
    this.prev[slot] = NONE;
    this.next[slot] = this.head;
    if (this.head !== NONE) this.prev[this.head] = slot;
    this.head = slot;
    if (this.tail === NONE) this.tail = slot;
  }

  private unlink(slot: number): void {
    const p = this.prev[slot]!;
    const n = this.next[slot]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
  }

  private keyEquals(slot: number, key: Uint8Array): boolean {
    const keys = this.keys;
    const base = slot * this.keyBytes;
    for (let i = 0; i < this.keyBytes; i++) if (keys[base + i] !== key[i]) return false;
    return true;
  }

  /** murmur3-style mixing of the key's bytes, four at a time, with the table's seed. */
  private hash(key: Uint8Array): number {
    let h = this.seed;
    const n = this.keyBytes;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    for (; i < n; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    h ^= n;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 16);
  }
}
