import { randomFillSync } from 'node:crypto';
import { systemClock, type HostEnvironment, type PacketMeta } from '@flowshield/vm';
import { ChallengeLimiter, PuzzleEngine, StandardChallenge, type KeyRing, type TokenVerifier } from '@flowshield/puzzle';
import { RejectionCounts } from './answer-reasons.js';
import type { LimitSet, ServiceConfig } from './config.js';
import { DryRunState } from './dry-run-state.js';
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
  /** how many tokens are checked, per source, network and service */
  readonly tokenLimiter: ChallengeLimiter;
  readonly counters = new Map<number, bigint>();
  /** every answer the standard challenge rejected, by reason, whatever the program did with it */
  readonly rejections = new RejectionCounts();
  challengesRefused = 0;
  repliesRefused = 0;
  difficulty: DifficultySetting;
  private readonly floor: DifficultyFloor;

  constructor(
    readonly state: TenantState,
    private readonly service: ServiceConfig,
    /** the challenge epoch keys, shared by the edge's tenants and kept current by the control plane */
    readonly keyRing: KeyRing,
    /** verified tokens, checked with the challenge service's public keys only */
    readonly tokens: TokenVerifier,
  ) {
    this.difficulty = { bits: service.challenges.difficultyBits, floorBits: 0, subPuzzles: service.challenges.subPuzzles };
    this.limiter = EdgeHost.limiterFor(service.limits.challenges, service);
    this.replyLimiter = EdgeHost.limiterFor(service.limits.replies, service);
    this.tokenLimiter = EdgeHost.limiterFor(service.limits.tokens, service);
    const engine = new PuzzleEngine({ keyRing, clock: Date.now });
    this.floor = new DifficultyFloor(this.difficulty.bits, engine.validitySeconds * 1000);
    this.challenge = new StandardChallenge({
      engine,
      difficulty: () => ({ bits: this.difficulty.bits, subPuzzles: this.difficulty.subPuzzles }),
      floorBits: () => this.floor.bitsAt(Date.now()),
      onRejected: (reason) => this.rejections.count(reason),
    });
  }

  private static limiterFor(set: LimitSet, service: ServiceConfig): ChallengeLimiter {
    return new ChallengeLimiter({ perSource: set.perSource, perPrefix: set.perPrefix, perTarget: set.perTarget, prefixBits: service.limits.prefixBits });
  }

  /**
   * The host a monitored (dry-run) deployment runs against: this one, seen through a prototype,
   * with its own state shadow and its own challenge limits, so the run sees what it would see
   * enforcing — keys, difficulty, clock — and leaves no trace outside its counters. What it asked
   * for (challenges, replies, status changes) is counted and discarded by the tenant runtime.
   */
  dryRun(): HostEnvironment {
    const dry = Object.create(this) as EdgeHost;
    Object.defineProperty(dry, 'state', { value: new DryRunState(this.state) });
    Object.defineProperty(dry, 'limiter', { value: EdgeHost.limiterFor(this.service.limits.challenges, this.service) });
    Object.defineProperty(dry, 'replyLimiter', { value: EdgeHost.limiterFor(this.service.limits.replies, this.service) });
    // Refusals of the shadow limiters are not the edge's refusals: kept on the shadow.
    dry.challengesRefused = 0;
    dry.repliesRefused = 0;
    return dry;
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
