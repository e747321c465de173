import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { EpochKeyRecord } from '@flowshield/proto';
import { PuzzleConfigError } from './errors.js';
import { ReplayFilter } from './replay-filter.js';

type Sha256 = ReturnType<typeof sha256.create>;

/** What the ring needs to know about one epoch (the same shape as the KV record). */
export type EpochKeyInit = EpochKeyRecord;

/** Public view of a ring entry: ids and times, never key bytes. */
export interface EpochKeyInfo {
  keyId: number;
  notBefore: number;
  notAfter: number;
  acceptUntil: number;
  answered: number;
}

/**
 * One epoch's HMAC key. Keyed once (ipad/opad absorbed) and cloned per message, which is ~3× cheaper
 * than re-keying (FACTS.md). Holds the replay filter of its epoch: when the entry leaves the ring the
 * filter goes with it, and answers under that key are refused as unknown from then on.
 */
export class EpochKey {
  readonly keyId: number;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly acceptUntil: number;
  readonly replay: ReplayFilter;
  private readonly keyed: _HMAC<Sha256>;
  private readonly scratch: _HMAC<Sha256>;

  constructor(init: EpochKeyInit, replayCapacity: number, replay?: ReplayFilter) {
    if (init.key.length < 32) throw new PuzzleConfigError(`epoch key ${init.keyId} is shorter than 32 bytes`);
    if (!(init.notBefore <= init.notAfter && init.notAfter <= init.acceptUntil)) {
      throw new PuzzleConfigError(`epoch key ${init.keyId}: times must satisfy notBefore ≤ notAfter ≤ acceptUntil`);
    }
    this.keyId = init.keyId >>> 0;
    this.notBefore = init.notBefore;
    this.notAfter = init.notAfter;
    this.acceptUntil = init.acceptUntil;
    this.keyed = hmac.create(sha256, init.key);
    this.scratch = this.keyed.clone();
    this.replay = replay ?? new ReplayFilter(replayCapacity);
  }

  /** HMAC-SHA256(key, input) into out (32 bytes). */
  macInto(input: Uint8Array, out: Uint8Array): void {
    const h = this.keyed._cloneInto(this.scratch);
    h.update(input);
    h.digestInto(out);
  }

  /** Never serialise key state (pino, JSON.stringify, util.inspect): ids and times only. */
  toJSON(): EpochKeyInfo {
    return this.info();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `EpochKey { keyId: ${this.keyId}, notBefore: ${this.notBefore}, notAfter: ${this.notAfter}, acceptUntil: ${this.acceptUntil} }`;
  }

  info(): EpochKeyInfo {
    return { keyId: this.keyId, notBefore: this.notBefore, notAfter: this.notAfter, acceptUntil: this.acceptUntil, answered: this.replay.size };
  }
}

export interface KeyRingOptions {
  /** Answers remembered per epoch before the filter refuses (fail closed). Default 262,144. */
  replayCapacity?: number;
  /** Seconds a key is accepted before its notBefore, for clock skew between edges. Default 2. */
  skewSeconds?: number;
}

/**
 * The epoch keys an edge (or the service) holds: usually previous, current and next. Times are UNIX
 * seconds. Pure data structure: whoever receives keys (a NATS KV watcher) calls `upsert` and `prune`.
 */
export class KeyRing {
  private readonly keys = new Map<number, EpochKey>();
  private readonly replayCapacity: number;
  private readonly skew: number;

  constructor(options: KeyRingOptions = {}) {
    this.replayCapacity = options.replayCapacity ?? 262_144;
    this.skew = options.skewSeconds ?? 2;
  }

  /**
   * Adds an epoch key, or updates its times (a rotation shortens the current epoch). The epoch's
   * replay filter survives the update: an id names one epoch, whose key bytes never change.
   */
  upsert(init: EpochKeyInit): void {
    const id = init.keyId >>> 0;
    this.keys.set(id, new EpochKey(init, this.replayCapacity, this.keys.get(id)?.replay));
  }

  remove(keyId: number): boolean {
    return this.keys.delete(keyId >>> 0);
  }

  /** Drops keys whose acceptance window has ended; returns their ids. */
  prune(nowSeconds: number): number[] {
    const dropped: number[] = [];
    for (const [id, k] of this.keys) {
      if (k.acceptUntil < nowSeconds) {
        this.keys.delete(id);
        dropped.push(id);
      }
    }
    return dropped;
  }

  /** The key to issue with: the newest whose [notBefore, notAfter) holds now. */
  issuingKey(nowSeconds: number): EpochKey | null {
    let best: EpochKey | null = null;
    for (const k of this.keys.values()) {
      if (k.notBefore <= nowSeconds && nowSeconds < k.notAfter && (best === null || k.keyId > best.keyId)) best = k;
    }
    return best;
  }

  /** The key an answer names, if it is accepted now (from notBefore − skew until acceptUntil). */
  acceptingKey(keyId: number, nowSeconds: number): EpochKey | null {
    const k = this.keys.get(keyId);
    if (k === undefined) return null;
    return nowSeconds >= k.notBefore - this.skew && nowSeconds <= k.acceptUntil ? k : null;
  }

  get size(): number {
    return this.keys.size;
  }

  list(): EpochKeyInfo[] {
    return [...this.keys.values()].map((k) => k.info()).sort((a, b) => a.keyId - b.keyId);
  }
}
