/**
 * Remembers which challenges (by tag) were answered during one key epoch. Exact set of 64-bit
 * fingerprints in an open-addressing table: bounded memory, no allocation per packet. Fingerprints
 * are the first 8 bytes of an authenticated HMAC tag, so an attacker cannot aim collisions.
 * The table is allocated on first use and dropped with its epoch key.
 */
export class ReplayFilter {
  readonly capacity: number;
  private table: Uint32Array | null = null;
  private mask = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.count;
  }

  /** Records `tag` (≥ 8 bytes, read from `offset`). 'added', 'seen' (a replay) or 'full'. */
  add(tag: Uint8Array, offset = 0): 'added' | 'seen' | 'full' {
    const h1 = ((tag[offset]! << 24) | (tag[offset + 1]! << 16) | (tag[offset + 2]! << 8) | tag[offset + 3]!) >>> 0;
    let h2 = ((tag[offset + 4]! << 24) | (tag[offset + 5]! << 16) | (tag[offset + 6]! << 8) | tag[offset + 7]!) >>> 0;
    if (h1 === 0 && h2 === 0) h2 = 1; // (0, 0) marks an empty slot
    let table = this.table;
    if (table === null) {
      let slots = 16;
      while (slots < this.capacity * 2) slots *= 2; // load factor ≤ 0.5 keeps probes short
      table = this.table = new Uint32Array(slots * 2);
      this.mask = slots - 1;
    }
    for (let slot = h1 & this.mask; ; slot = (slot + 1) & this.mask) {
      const a = table[slot * 2]!, b = table[slot * 2 + 1]!;
      if (a === 0 && b === 0) break;
      if (a === h1 && b === h2) return 'seen';
    }
    if (this.count >= this.capacity) return 'full';
    for (let slot = h1 & this.mask; ; slot = (slot + 1) & this.mask) {
      if (table[slot * 2] === 0 && table[slot * 2 + 1] === 0) {
        table[slot * 2] = h1;
        table[slot * 2 + 1] = h2;
        this.count++;
        return 'added';
      }
    }
  }

  clear(): void {
    this.table = null;
    this.count = 0;
  }
}
