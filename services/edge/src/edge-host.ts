import { randomBytes, randomFillSync } from 'node:crypto';
import { StandardChallenge, systemClock, type HostEnvironment, type PacketMeta } from '@flowshield/vm';
import { ChallengeLimiter, PuzzleEngine, type KeyRing, type TokenVerifier } from '@flowshield/puzzle';
import type { ServiceConfig } from './config.js';
import type { TenantState } from './state-overlay.js';
import { DifficultyFloor } from './difficulty-floor.js';

const random = new Uint32Array(1024);
let randomAt = random.length;

/** The live difficulty of one protected service (followed from the challenge service). */
export interface DifficultySetting {
  bits: number;
  floorBits: number;
  subPuzzles: number;
}

/**
 * What a tenant's program runs against on this edge: its state, the wall clock, the challenge
 * key ring with per-source and per-network limits, and per-tenant counters.
 */
export class EdgeHost implements HostEnvironment {
  readonly clock = systemClock;
  readonly hmacKey: Uint8Array;
  challengesEnabled = true;
  readonly challenge: StandardChallenge;
  readonly limiter: ChallengeLimiter;
  readonly counters = new Map<number, bigint>();
  challengesRefused = 0;
  difficulty: DifficultySetting;
  private readonly floor: DifficultyFloor;

  constructor(
    readonly state: TenantState,
    service: ServiceConfig,
    /** the challenge epoch keys, shared by the edge's tenants and kept current by the control plane */
    readonly keyRing: KeyRing,
    /** verified tokens, checked with the challenge service's public keys only */
    readonly tokens: TokenVerifier,
    hmacKey?: Uint8Array,
  ) {
    this.hmacKey = hmacKey ?? randomBytes(32);
    this.difficulty = { bits: service.challenges.difficultyBits, floorBits: 0, subPuzzles: service.challenges.subPuzzles };
    this.limiter = new ChallengeLimiter({
      perSource: { perSecond: service.challenges.perSourcePerSecond, burst: service.challenges.perSourceBurst },
      perTarget: { perSecond: service.challenges.totalPerSecond, burst: service.challenges.totalBurst },
    });
    const engine = new PuzzleEngine({ keyRing, clock: Date.now });
    this.floor = new DifficultyFloor(this.difficulty.bits, engine.validitySeconds * 1000);
    this.challenge = new StandardChallenge({
      engine,
      difficulty: () => ({ bits: this.difficulty.bits, subPuzzles: this.difficulty.subPuzzles }),
      floorBits: () => this.floor.bitsAt(Date.now()),
    });
  }

  /** The challenge service's difficulty for this service; answers to what this edge issued before stay valid. */
  setDifficulty(setting: DifficultySetting, nowMs = Date.now()): void {
    this.floor.update(setting.bits, setting.floorBits, nowMs);
    this.difficulty = setting;
  }

  random(): number {
    if (randomAt === random.length) {
      randomFillSync(random);
      randomAt = 0;
    }
    return random[randomAt++]!;
  }

  allowChallenge(meta: PacketMeta, now: number): boolean {
    const refused = this.limiter.admit(meta.srcIp, meta.dstIp, now * 1000) !== null;
    if (refused) this.challengesRefused++;
    return !refused;
  }

  counter(id: number, delta: bigint): void {
    this.counters.set(id, (this.counters.get(id) ?? 0n) + delta);
  }
}
