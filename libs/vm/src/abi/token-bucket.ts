import { LruTable } from '../tables/lru-table.js';

/** key: the program's bucket id (4 bytes) and the source IP (16) */
const KEY_BYTES = 20;
/** tokens and last refill time, 8 bytes each */
const VALUE_BYTES = 16;
/** Default budget of one program instance's buckets: 4 MiB (about 75,000 sources). */
export const TOKEN_BUCKET_BYTES = 4 * 1024 * 1024;

/**
 * Token buckets by (bucket id, source), bounded in bytes (least recently used evicted first; a
 * forgotten source starts again with a full bucket): a bucket refills `rate` tokens per second up to `burst`.
 */
export class TokenBuckets {
  readonly table: LruTable;
  private readonly tokens: Float64Array;
  private readonly at: Float64Array;
  private readonly key = new Uint8Array(KEY_BYTES);

  constructor(maxBytes = TOKEN_BUCKET_BYTES) {
    this.table = new LruTable({ keyBytes: KEY_BYTES, valueBytes: VALUE_BYTES, maxBytes });
    this.tokens = new Float64Array(this.table.capacity);
    this.at = new Float64Array(this.table.capacity);
  }

  take(id: number, ip: Uint8Array, rate: number, burst: number, now: number): boolean {
    const key = this.key;
    key[0] = id >>> 24;
    key[1] = (id >>> 16) & 0xff;
    key[2] = (id >>> 8) & 0xff;
    key[3] = id & 0xff;
    key.set(ip.subarray(0, 16), 4);
    let slot = this.table.get(key);
    if (slot < 0) {
      slot = this.table.add(key);
      this.tokens[slot] = burst;
      this.at[slot] = now;
    }
    const tokens = Math.min(burst, this.tokens[slot]! + Math.max(0, now - this.at[slot]!) * rate);
    this.at[slot] = now;
    const allowed = tokens >= 1;
    this.tokens[slot] = allowed ? tokens - 1 : tokens;
    return allowed;
  }
}
