import { LruMap } from './memory-state.js';

/** Token buckets by key, bounded in number: a bucket refills `rate` tokens per second up to `burst`. */
export class TokenBuckets {
  private readonly buckets: LruMap<string, { tokens: number; at: number }>;

  constructor(capacity = 100_000) {
    this.buckets = new LruMap(capacity);
  }

  take(key: string, rate: number, burst: number, now: number): boolean {
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) * rate);
    bucket.at = now;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    return allowed;
  }
}
