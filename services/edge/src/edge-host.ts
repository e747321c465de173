import { randomFillSync } from 'node:crypto';
import { systemClock, type HostEnvironment, type PacketMeta } from '@flowshield/vm';
import { ChallengeLimiter, PuzzleEngine, StandardChallenge, type KeyRing, type TokenVerifier } from '@flowshield/puzzle';
import { RejectionCounts } from './answer-reasons.js';
import type { LimitSet, ServiceConfig } from './config.js';
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

function limiter(set: LimitSet, prefixBits: { v4: number; v6: number }): ChallengeLimiter {
  return new ChallengeLimiter({ perSource: set.perSource, perPrefix: set.perPrefix, perTarget: set.perTarget, prefixBits });
}

/**
 * What a tenant's program runs against on this edge: its state, the wall clock, the challenge
 * key ring with per-source, per-prefix and per-target limits on challenges and on replies, the
 * tenant's HMAC key, and per-tenant counters.
 */
export class EdgeHost implements HostEnvironment {
  readonly clock = systemClock;
  /** the tenant's HMAC key from the challenge service (TenantKeyFollower); null until received */
  hmacKey: Uint8Array | null = null;
  challengesEnabled = true;
  readonly challenge: StandardChallenge;
  readonly limiter: ChallengeLimiter;
  readonly replyLimiter: ChallengeLimiter;
  readonly counters = new Map<number, bigint>();
  /** every answer the standard challenge rejected, by reason, whatever the program did with it */
  readonly rejections = new RejectionCounts();
  challengesRefused = 0;
  repliesRefused = 0;
  difficulty: DifficultySetting;
  private readonly floor: DifficultyFloor;

  constructor(
    readonly state: TenantState,
    service: ServiceConfig,
    /** the challenge epoch keys, shared by the edge's tenants and kept current by the control plane */
    readonly keyRing: KeyRing,
    /** verified tokens, checked with the challenge service's public keys only */
    readonly tokens: TokenVerifier,
  ) {
    this.difficulty = { bits: service.challenges.difficultyBits, floorBits: 0, subPuzzles: service.challenges.subPuzzles };
    this.limiter = limiter(service.limits.challenges, service.limits.prefixBits);
    this.replyLimiter = limiter(service.limits.replies, service.limits.prefixBits);
    const engine = new PuzzleEngine({ keyRing, clock: Date.now });
    this.floor = new DifficultyFloor(this.difficulty.bits, engine.validitySeconds * 1000);
    this.challenge = new StandardChallenge({
      engine,
      difficulty: () => ({ bits: this.difficulty.bits, subPuzzles: this.difficulty.subPuzzles }),
      floorBits: () => this.floor.bitsAt(Date.now()),
      onRejected: (reason) => this.rejections.count(reason),
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

  allowReply(meta: PacketMeta, now: number): boolean {
    const refused = this.replyLimiter.admit(meta.srcIp, meta.dstIp, now * 1000) !== null;
    if (refused) this.repliesRefused++;
    return !refused;
  }

  counter(id: number, delta: bigint): void {
    this.counters.set(id, (this.counters.get(id) ?? 0n) + delta);
  }
}
