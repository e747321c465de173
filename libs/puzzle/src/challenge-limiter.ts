import { IssueRefusal } from '@flowshield/proto';
import { TokenBucketTable, type BucketRate } from './token-bucket.js';

export interface ChallengeLimiterOptions {
  /** Challenges per source address. Default 4/s, burst 8. */
  perSource?: BucketRate;
  /** Challenges per source prefix (/24 for IPv4, /56 for IPv6). Default 64/s, burst 256. */
  perPrefix?: BucketRate;
  /** Slots per table (memory is fixed: 16 bytes per slot). Default 65,536. */
  slots?: number;
  /** Hash seed; random by default. */
  seed?: number;
}

function isV4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/**
 * Limits how many challenges go to one address and to one network. Challenges travel to the
 * packet's *source*, which an attacker can spoof: these buckets cap what any victim host or network
 * can be sent, whatever the attack rate.
 */
export class ChallengeLimiter {
  private readonly source: TokenBucketTable;
  private readonly prefix: TokenBucketTable;

  constructor(options: ChallengeLimiterOptions = {}) {
    const slots = options.slots ?? 65_536;
    const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.source = new TokenBucketTable(options.perSource ?? { perSecond: 4, burst: 8 }, slots, seed);
    this.prefix = new TokenBucketTable(options.perPrefix ?? { perSecond: 64, burst: 256 }, slots, seed ^ 0x9e3779b9);
  }

  /** Takes a token from both buckets, or names the one that is empty (and takes none). */
  admit(address: Uint8Array, nowMs: number): IssueRefusal | null {
    const s = this.source.slotOf(address, 0, 16);
    const p = isV4Mapped(address) ? this.prefix.slotOf(address, 12, 15) : this.prefix.slotOf(address, 0, 7);
    if (!this.source.has(s, nowMs)) return IssueRefusal.RATE_LIMITED_SOURCE;
    if (!this.prefix.take(p, nowMs)) return IssueRefusal.RATE_LIMITED_PREFIX;
    this.source.take(s, nowMs);
    return null;
  }
}
