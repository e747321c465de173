import { IssueRefusal } from '@flowshield/proto';
import { TokenBucketTable, type BucketRate } from './token-bucket.js';

export interface ChallengeLimiterOptions {
  /** Challenges per source address. Default 4/s, burst 8. */
  perSource?: BucketRate;
  /** Challenges per source prefix (`prefixBits`). Default 64/s, burst 256. */
  perPrefix?: BucketRate;
  /**
   * Challenges on behalf of one protected prefix (`prefixBits`), whoever the sources: a global cap
   * on what the edge emits for one protected network. Default 20,000/s, burst 40,000.
   */
  perTarget?: BucketRate;
  /** Prefix lengths of the per-prefix and per-target buckets. Default /24 for IPv4, /48 for IPv6. */
  prefixBits?: { v4: number; v6: number };
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
 * Limits how many challenges (or, with its own instance, program replies) go to one address and to one network, and how many are sent on behalf
 * of one protected network. Challenges travel to the packet's *source*, which an attacker can
 * spoof: these buckets cap what any victim host or network can be sent, whatever the attack rate.
 */
export class ChallengeLimiter {
  private readonly source: TokenBucketTable;
  private readonly prefix: TokenBucketTable;
  private readonly target: TokenBucketTable;
  private readonly v4Bits: number;
  private readonly v6Bits: number;

  constructor(options: ChallengeLimiterOptions = {}) {
    this.v4Bits = options.prefixBits?.v4 ?? 24;
    this.v6Bits = options.prefixBits?.v6 ?? 48;
    if (!(Number.isInteger(this.v4Bits) && this.v4Bits >= 0 && this.v4Bits <= 32)) throw new RangeError('prefixBits.v4 must be 0..32');
    if (!(Number.isInteger(this.v6Bits) && this.v6Bits >= 0 && this.v6Bits <= 128)) throw new RangeError('prefixBits.v6 must be 0..128');
    const slots = options.slots ?? 65_536;
    const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
    this.source = new TokenBucketTable(options.perSource ?? { perSecond: 4, burst: 8 }, slots, seed);
    this.prefix = new TokenBucketTable(options.perPrefix ?? { perSecond: 64, burst: 256 }, slots, seed ^ 0x9e3779b9);
    this.target = new TokenBucketTable(options.perTarget ?? { perSecond: 20_000, burst: 40_000 }, 1024, seed ^ 0x85ebca6b);
  }

  /** Takes a token from each bucket, or names the first that is empty (and takes none). */
  admit(client: Uint8Array, target: Uint8Array, nowMs: number): IssueRefusal | null {
    const s = this.source.slotOf(client, 0, 16);
    const p = this.prefixSlot(this.prefix, client);
    const t = this.prefixSlot(this.target, target);
    if (!this.source.has(s, nowMs)) return IssueRefusal.RATE_LIMITED_SOURCE;
    if (!this.prefix.has(p, nowMs)) return IssueRefusal.RATE_LIMITED_PREFIX;
    if (!this.target.take(t, nowMs)) return IssueRefusal.RATE_LIMITED_TARGET;
    this.prefix.take(p, nowMs);
    this.source.take(s, nowMs);
    return null;
  }

  private prefixSlot(table: TokenBucketTable, address: Uint8Array): number {
    return isV4Mapped(address) ? table.slotOfPrefix(address, 12, this.v4Bits) : table.slotOfPrefix(address, 0, this.v6Bits);
  }
}
