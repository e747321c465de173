/**
 * Token buckets in a fixed-size table indexed by a seeded hash of a key (an address or a prefix).
 * Keys that collide share a bucket: that only ever limits more, never less, and memory stays fixed
 * whatever the number of sources. The seed is random per table so an attacker cannot aim
 * collisions at a victim's bucket.
 */
export interface BucketRate {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size (the burst allowed after a quiet period). */
  burst: number;
}

export class TokenBucketTable {
  private readonly tokens: Float64Array;
  private readonly stamp: Float64Array;
  private readonly mask: number;
  private readonly seed: number;
  readonly rate: BucketRate;

  constructor(rate: BucketRate, slots: number, seed: number) {
    let n = 16;
    while (n < slots) n *= 2;
    this.tokens = new Float64Array(n).fill(rate.burst);
    this.stamp = new Float64Array(n);
    this.mask = n - 1;
    this.seed = seed >>> 0;
    this.rate = rate;
  }

  /** FNV-1a over bytes [from, to) of `key`, mixed with the table's seed. */
  slotOf(key: Uint8Array, from: number, to: number): number {
    let h = (0x811c9dc5 ^ this.seed) >>> 0;
    for (let i = from; i < to; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    h ^= h >>> 15;
    return (Math.imul(h, 0x2c1b3c6d) >>> 0) & this.mask;
  }

  /**
   * The slot of the first `bits` bits of `key` from byte `from` (a network prefix): whole bytes
   * hashed as they are, a partial last byte masked, and the length mixed in.
   */
  slotOfPrefix(key: Uint8Array, from: number, bits: number): number {
    let h = (0x811c9dc5 ^ this.seed ^ bits) >>> 0;
    const whole = from + (bits >> 3);
    for (let i = from; i < whole; i++) h = Math.imul(h ^ key[i]!, 0x01000193);
    const rest = bits & 7;
    if (rest) h = Math.imul(h ^ (key[whole]! & (0xff00 >> rest) & 0xff), 0x01000193);
    h ^= h >>> 15;
    return (Math.imul(h, 0x2c1b3c6d) >>> 0) & this.mask;
  }

  /** Whether a token is available at `nowMs`, without taking it. */
  has(slot: number, nowMs: number): boolean {
    return this.refill(slot, nowMs) >= 1;
  }

  /** Takes one token if available. */
  take(slot: number, nowMs: number): boolean {
    const t = this.refill(slot, nowMs);
    if (t < 1) return false;
    this.tokens[slot] = t - 1;
    return true;
  }

  private refill(slot: number, nowMs: number): number {
    const elapsed = nowMs - this.stamp[slot]!;
    let t = this.tokens[slot]!;
    if (elapsed > 0) {
      t = Math.min(this.rate.burst, t + (elapsed / 1000) * this.rate.perSecond);
      this.tokens[slot] = t;
      this.stamp[slot] = nowMs;
    }
    return t;
  }
}
