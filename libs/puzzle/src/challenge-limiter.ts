import { IssueRefusal } from '@flowshield/proto';
import { TokenBucketTable, type BucketRate } from './token-bucket.js';

export interface ChallengeLimiterOptions {
  /** Challenges per source address. Default 4/s, burst 8. */
  perSource?: BucketRate;
  /** Challenges per source prefix (/24 for IPv4, /56 for IPv6). Default 64/s, burst 256. */
  perPrefix?: BucketRate;
  /**
   * Challenges on behalf of one protected prefix (/24, /56), whoever the sources: a global cap on
   * what the edge emits for one protected network. Default 20,000/s, burst 40,000.
   */
  perTarget?: BucketRate;
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
 * Limits how many challenges go to one address and to one network, and how many are sent on behalf
 * of one protected network. Challenges travel to the packet's *source*, which an attacker can
 * spoof: these buckets cap what any victim host or network can be sent, whatever the attack rate.
 */
export class ChallengeLimiter {
  private readonly source: TokenBucketTable;
  private readonly prefix: TokenBucketTable;
  private readonly target: TokenBucketTable;

  constructor(options: ChallengeLimiterOptions = {}) {
    const slots = options.slots ?? 65_536;
    const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.source = new TokenBucketTable(options.perSource ?? { perSecond: 4, burst: 8 }, slots, seed);
    this.prefix = new TokenBucketTable(options.perPrefix ?? { perSecond: 64, burst: 256 }, slots, seed ^ 0x9e3779b9);
    this.target = new TokenBucketTable(options.perTarget ?? { perSecond: 20_000, burst: 40_000 }, 1024, seed ^ 0x85ebca6b);
  }

  /** Takes a token from each bucket, or names the first that is empty (and takes none). */
  admit(client: Uint8Array, target: Uint8Array, nowMs: number): IssueRefusal | null {
    const s = this.source.slotOf(client, 0, 16);
    const p = prefixSlot(this.prefix, client);
    const t = prefixSlot(this.target, target);
    if (!this.source.has(s, nowMs)) return IssueRefusal.RATE_LIMITED_SOURCE;
    if (!this.prefix.has(p, nowMs)) return IssueRefusal.RATE_LIMITED_PREFIX;
    if (!this.target.take(t, nowMs)) return IssueRefusal.RATE_LIMITED_TARGET;
    this.prefix.take(p, nowMs);
    this.source.take(s, nowMs);
    return null;
  }
}

/** /24 for IPv4 (mapped), /56 for IPv6. */
function prefixSlot(table: TokenBucketTable, address: Uint8Array): number {
  return isV4Mapped(address) ? table.slotOf(address, 12, 15) : table.slotOf(address, 0, 7);
}
