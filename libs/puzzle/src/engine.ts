import {
  ANSWER_HEADER_SIZE, ANSWER_MAGIC, CHALLENGE_SIZE, CHALLENGE_VERSION, ChallengeOffset as Offset, IssueRefusal,
  MAC_INPUT_SIZE, MAX_DIFFICULTY_BITS, NONCE_SIZE, SOLUTION_SIZE, VerifyReason, isValidSubPuzzleCount, packetMagic,
  subPuzzleBits, writeChallengeHead, writeMacInput, type Endpoint,
} from '@flowshield/proto';
import type { ChallengeLimiter } from './challenge-limiter.js';
import { PuzzleConfigError } from './errors.js';
import type { KeyRing } from './key-ring.js';
import { PowHasher } from './pow.js';

/** How hard a challenge is: total work in bits, split over sub-puzzles. */
export interface Difficulty {
  /** Effective work: each challenge takes about 2^bits hashes on average. */
  bits: number;
  /** Sub-puzzles to split the work into (1, 2, 4, 8, 16); more means a shorter worst case. */
  subPuzzles: number;
}

export interface PuzzleEngineOptions {
  keyRing: KeyRing;
  /** Milliseconds since the UNIX epoch; injected so the engine does no I/O and tests control time. */
  clock: () => number;
  /** Fills a buffer with random bytes (nonces). Default: crypto.getRandomValues. */
  random?: (out: Uint8Array) => void;
  /** Seconds an answer stays valid after issue. Default 30; must be ≤ the key overlap (one epoch). */
  validitySeconds?: number;
  /** Seconds of clock skew tolerated for issue times in the future. Default 2. */
  futureSkewSeconds?: number;
  /** Rate limits for issue(); null or absent = unlimited (the service's request API). */
  limiter?: ChallengeLimiter | null;
}

export interface IssueRequestFields {
  /** The trigger packet's source (where the challenge goes). */
  client: Endpoint;
  /** The protected service the trigger was sent to. */
  target: Endpoint;
  /** Size of the trigger's UDP payload: the challenge is never larger. */
  triggerSize: number;
  difficulty: Difficulty;
  /** A fixed nonce (test vectors only); random otherwise. */
  nonce?: Uint8Array;
}

export type IssueOutcome = { ok: true; packet: Uint8Array; keyId: number } | { ok: false; reason: IssueRefusal };

export interface VerifyContext {
  /** The answer packet's source address and port, from its IP/UDP headers. */
  client: Endpoint;
  /** The protected service it was sent to. */
  target: Endpoint;
  /** Lowest effective work (bits) accepted for this service now. */
  floorBits: number;
}

export type VerifyOutcome =
  | { ok: true; keyId: number; effectiveBits: number; payloadOffset: number }
  | { ok: false; reason: VerifyReason };

// Rejections are shared frozen objects: the reject path allocates nothing.
const REJECT: { readonly [R in VerifyReason]: { ok: false; reason: R } } = Object.freeze(
  Object.fromEntries(Object.values(VerifyReason).map((r) => [r, Object.freeze({ ok: false, reason: r })])),
) as never;
const REFUSE: { readonly [R in IssueRefusal]: { ok: false; reason: R } } = Object.freeze(
  Object.fromEntries(Object.values(IssueRefusal).map((r) => [r, Object.freeze({ ok: false, reason: r })])),
) as never;

function u32At(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/**
 * The stateless puzzle engine the edge embeds in its packet path (and the service uses for its
 * request API): issue() builds a challenge bound to (client, target) under the current epoch key;
 * verify() checks an answer in a fixed order, each failure with its own reason. No I/O, no awaits,
 * no exceptions for bad input. One instance per thread: it reuses scratch buffers.
 */
export class PuzzleEngine {
  readonly keyRing: KeyRing;
  readonly validitySeconds: number;
  readonly futureSkewSeconds: number;
  private readonly clock: () => number;
  private readonly random: (out: Uint8Array) => void;
  private readonly limiter: ChallengeLimiter | null;
  private readonly macInput = new Uint8Array(MAC_INPUT_SIZE);
  private readonly mac = new Uint8Array(32);
  private readonly nonce = new Uint8Array(NONCE_SIZE);
  private readonly pow = new PowHasher();

  constructor(options: PuzzleEngineOptions) {
    this.keyRing = options.keyRing;
    this.clock = options.clock;
    this.random = options.random ?? ((out) => { crypto.getRandomValues(out); });
    this.validitySeconds = options.validitySeconds ?? 30;
    this.futureSkewSeconds = options.futureSkewSeconds ?? 2;
    this.limiter = options.limiter ?? null;
    if (!(this.validitySeconds > 0)) throw new PuzzleConfigError('validitySeconds must be positive');
  }

  /** Current time in whole UNIX seconds, from the injected clock. */
  nowSeconds(): number {
    return Math.floor(this.clock() / 1000);
  }

  /** One challenge for one trigger packet, or the reason none may be sent. */
  issue(req: IssueRequestFields): IssueOutcome {
    if (req.triggerSize < CHALLENGE_SIZE) return REFUSE[IssueRefusal.TRIGGER_TOO_SMALL];
    const nowMs = this.clock();
    const now = Math.floor(nowMs / 1000);
    const key = this.keyRing.issuingKey(now);
    if (key === null) return REFUSE[IssueRefusal.NO_CURRENT_KEY];
    if (this.limiter !== null) {
      const refused = this.limiter.admit(req.client.address, req.target.address, nowMs);
      if (refused !== null) return REFUSE[refused];
    }
    const { difficulty, subPuzzles } = splitDifficulty(req.difficulty);
    let nonce = req.nonce;
    if (nonce === undefined) {
      this.random(this.nonce);
      nonce = this.nonce;
    }
    const packet = new Uint8Array(CHALLENGE_SIZE);
    writeChallengeHead(packet, { keyId: key.keyId, issuedAt: now, difficulty, subPuzzles, nonce, client: req.client });
    writeMacInput(this.macInput, packet, req.client, req.target);
    key.macInto(this.macInput, this.mac);
    packet.set(this.mac.subarray(0, 16), Offset.tag);
    return { ok: true, packet, keyId: key.keyId };
  }

  /**
   * Checks an answer, in this order: well formed → key id known and accepted now → issue time within
   * the validity window (not expired, not future-dated) → echoed client address and port equal the
   * packet's source, and the tag recomputed over the real addresses matches (constant time) → effective difficulty at least the floor → every
   * proof of work → not answered before in this key's epoch (recorded on success).
   */
  verify(packet: Uint8Array, ctx: VerifyContext): VerifyOutcome {
    // 1. Well formed.
    const len = packet.length;
    if (len < ANSWER_HEADER_SIZE || packetMagic(packet) !== ANSWER_MAGIC || packet[Offset.version] !== CHALLENGE_VERSION) {
      return REJECT[VerifyReason.MALFORMED];
    }
    const difficulty = packet[Offset.difficulty]!;
    const subPuzzles = packet[Offset.subPuzzles]!;
    if (difficulty > MAX_DIFFICULTY_BITS || !isValidSubPuzzleCount(subPuzzles)) return REJECT[VerifyReason.MALFORMED];
    const payloadOffset = ANSWER_HEADER_SIZE + SOLUTION_SIZE * subPuzzles;
    if (len < payloadOffset) return REJECT[VerifyReason.MALFORMED];

    // 2. Key id known and accepted now.
    const now = Math.floor(this.clock() / 1000);
    const keyId = u32At(packet, Offset.keyId);
    const key = this.keyRing.acceptingKey(keyId, now);
    if (key === null) return REJECT[VerifyReason.UNKNOWN_KEY];

    // 3. Age within the validity window.
    const issuedAt = u32At(packet, Offset.issuedAt);
    if (issuedAt > now + this.futureSkewSeconds) return REJECT[VerifyReason.FUTURE];
    if (now - issuedAt > this.validitySeconds) return REJECT[VerifyReason.EXPIRED];

    // 4. Binding: the echoed client endpoint must be the packet's real source (so every byte of the
    //    header is covered), and the tag recomputed over the real endpoints must match, compared in
    //    constant time.
    const client = ctx.client;
    for (let i = 0; i < 16; i++) if (packet[Offset.clientAddress + i] !== client.address[i]) return REJECT[VerifyReason.WRONG_ADDRESS];
    if (((packet[Offset.clientPort]! << 8) | packet[Offset.clientPort + 1]!) !== client.port) return REJECT[VerifyReason.WRONG_PORT];
    writeMacInput(this.macInput, packet, client, ctx.target);
    key.macInto(this.macInput, this.mac);
    let diff = 0;
    for (let i = 0; i < 16; i++) diff |= this.mac[i]! ^ packet[Offset.tag + i]!;
    if (diff !== 0) return REJECT[VerifyReason.BAD_TAG];

    // 5. Difficulty at least the floor.
    const effectiveBits = difficulty + subPuzzleBits(subPuzzles);
    if (effectiveBits < ctx.floorBits) return REJECT[VerifyReason.DIFFICULTY_BELOW_FLOOR];

    // 6. Proof of work.
    if (difficulty > 0) {
      const pow = this.pow;
      pow.load(packet.subarray(Offset.tag, Offset.tag + 16), packet.subarray(Offset.nonce, Offset.nonce + NONCE_SIZE));
      for (let i = 0; i < subPuzzles; i++) {
        if (!pow.check(i, u32At(packet, ANSWER_HEADER_SIZE + SOLUTION_SIZE * i), difficulty)) return REJECT[VerifyReason.BAD_SOLUTION];
      }
    }

    // 7. Not seen before in this epoch.
    const seen = key.replay.add(packet, Offset.tag);
    if (seen === 'seen') return REJECT[VerifyReason.REPLAYED];
    if (seen === 'full') return REJECT[VerifyReason.REPLAY_FILTER_FULL];
    return { ok: true, keyId, effectiveBits, payloadOffset };
  }
}

/**
 * Turns total work into per-sub-puzzle bits: `bits` = difficulty + log2(subPuzzles). When `bits` is
 * too small to split, fewer sub-puzzles are used.
 */
export function splitDifficulty(d: Difficulty): { difficulty: number; subPuzzles: number } {
  if (!isValidSubPuzzleCount(d.subPuzzles)) throw new PuzzleConfigError(`subPuzzles must be 1, 2, 4, 8 or 16, got ${d.subPuzzles}`);
  const bits = Math.max(0, Math.floor(d.bits));
  let subPuzzles = d.subPuzzles;
  while (subPuzzles > 1 && subPuzzleBits(subPuzzles) > bits) subPuzzles >>= 1;
  const difficulty = bits - subPuzzleBits(subPuzzles);
  if (difficulty > MAX_DIFFICULTY_BITS) throw new PuzzleConfigError(`difficulty ${bits} bits exceeds ${MAX_DIFFICULTY_BITS + subPuzzleBits(subPuzzles)}`);
  return { difficulty, subPuzzles };
}
