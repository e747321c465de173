import { InMemoryState, type ChallengeEngine, type HostEnvironment } from '@flowshield/vm';
import { KeyRing, PuzzleEngine, StandardChallenge } from '@flowshield/puzzle';

/** The challenge key `flowshield test` uses unless given one: fixed, so captured answers verify run after run. */
export const DEFAULT_TEST_CHALLENGE_KEY = new Uint8Array(32).fill(0x42);

export interface TestChallengeOptions {
  key: Uint8Array;
  /** work of issued challenges, in bits */
  difficultyBits: number;
  /** lowest work accepted */
  floorBits: number;
}

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

  constructor(options: { seed?: number; hmacKey?: Uint8Array; challenge?: Partial<TestChallengeOptions>; print?: (line: string) => void } = {}) {
    this.seed = (options.seed ?? 1) >>> 0 || 1;
    this.hmacKey = options.hmacKey ?? new Uint8Array(32);
    this.print = options.print;
    this.challenge = this.standardChallenge({ key: DEFAULT_TEST_CHALLENGE_KEY, difficultyBits: 8, floorBits: 0, ...options.challenge });
  }

  /** The standard challenge (helpers 64 and 65) under one key valid for all time, on the capture's clock. */
  private standardChallenge(options: TestChallengeOptions): ChallengeEngine {
    const keyRing = new KeyRing();
    keyRing.upsert({ keyId: 1, key: options.key, notBefore: 0, notAfter: 2 ** 32 - 1, acceptUntil: 2 ** 32 - 1 });
    const engine = new PuzzleEngine({
      keyRing,
      clock: () => this.now * 1000,
      random: (out) => { for (let i = 0; i < out.length; i++) out[i] = this.random() & 0xff; },
    });
    return new StandardChallenge({ engine, difficulty: () => ({ bits: options.difficultyBits, subPuzzles: 1 }), floorBits: () => options.floorBits });
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

  /** A capture replays what one source sent: no edge limits apply (the edge's limits are its config). */
  allowReply(): boolean {
    return true;
  }

  counter(id: number, delta: bigint): void {
    this.counters.set(id, (this.counters.get(id) ?? 0n) + delta);
  }
}
