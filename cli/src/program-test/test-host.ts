import { InMemoryState, type ChallengeEngine, type HostEnvironment } from '@flowshield/vm';

/**
 * The host `flowshield test` runs programs in: state in memory, time taken from the capture's
 * timestamps (so expiries behave as they would have live), a seeded random source (so a run is
 * reproducible), printf shown.
 */
export class TestHost implements HostEnvironment {
  readonly state = new InMemoryState();
  now = 0;
  readonly clock = { now: () => this.now, monotonicNs: () => BigInt(Math.round(this.now * 1e9)) };
  challengesEnabled = true;
  challenge: ChallengeEngine | null;
  readonly counters = new Map<number, bigint>();
  private seed: number;
  print?: (line: string) => void;

  constructor(options: { seed?: number; hmacKey?: Uint8Array; challenge?: ChallengeEngine | null; print?: (line: string) => void } = {}) {
    this.seed = (options.seed ?? 1) >>> 0 || 1;
    this.hmacKey = options.hmacKey ?? new Uint8Array(32);
    this.challenge = options.challenge ?? null;
    this.print = options.print;
  }

  readonly hmacKey: Uint8Array;

  random(): number {
    // xorshift32: reproducible across runs of the same capture
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  allowChallenge(): boolean {
    return true;
  }

  counter(id: number, delta: bigint): void {
    this.counters.set(id, (this.counters.get(id) ?? 0n) + delta);
  }
}
