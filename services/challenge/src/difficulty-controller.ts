import type { LoadReport } from '@flowshield/proto';

export interface DifficultyPolicy {
  /** Work (bits) asked of every unknown client when there is no attack. Default 12 (~4 ms in JS). */
  baseBits: number;
  /** Ceiling (bits). Default 22 (~4 s in JS): beyond that real players give up. */
  maxBits: number;
  /** Sub-puzzles per challenge (1, 2, 4, 8, 16). Default 8: same mean work, much shorter tail. */
  subPuzzles: number;
  /** Unverified packets per second a service takes before it counts as under attack (default 1,000). */
  capacityPps: number;
  /** Most bits added by one report (default 4). */
  maxRaisePerReport: number;
  /** Seconds without pressure between each one-bit decrease (default 30). */
  decaySeconds: number;
  /** Answers stay valid this long: the floor is the lowest difficulty issued within it (default 30). */
  validitySeconds: number;
}

export const DEFAULT_DIFFICULTY_POLICY: DifficultyPolicy = {
  baseBits: 12, maxBits: 22, subPuzzles: 8, capacityPps: 1000, maxRaisePerReport: 4, decaySeconds: 30, validitySeconds: 30,
};

export interface ServiceDifficulty {
  /** Bits for new challenges. */
  bits: number;
  /** Lowest bits accepted now: challenges issued before a raise stay answerable for their validity. */
  floorBits: number;
  subPuzzles: number;
}

interface ServiceState {
  bits: number;
  lastPressure: number;
  lastChange: number;
  /** (time, bits) of every change within the validity window, oldest first. */
  history: { at: number; bits: number }[];
}

/**
 * Difficulty per protected service from the load edges report, like Tor's onion-service PoW effort:
 * raise fast (several bits per report, proportional to log2 of the overload) and decay slowly (one
 * bit per quiet interval), so an attacker cannot make it oscillate cheaply. Pure: time passed in.
 */
export class DifficultyController {
  readonly policy: DifficultyPolicy;
  private readonly services = new Map<string, ServiceState>();
  private readonly lastSeen = new Map<string, string>();

  constructor(policy: Partial<DifficultyPolicy> = {}) {
    this.policy = { ...DEFAULT_DIFFICULTY_POLICY, ...policy };
  }

  /** Applies one load report; returns true when the service's difficulty changed. */
  report(service: string, load: Pick<LoadReport, 'windowMs' | 'unverifiedPackets' | 'failedAnswers' | 'capacityPps'>, now: number): boolean {
    const p = this.policy;
    const state = this.state(service, now);
    const seconds = Math.max(0.001, load.windowMs / 1000);
    const capacity = load.capacityPps && load.capacityPps > 0 ? load.capacityPps : p.capacityPps;
    // Failed answers are attack traffic that got as far as the verifier: they weigh double.
    const pressure = (load.unverifiedPackets + 2 * load.failedAnswers) / seconds / capacity;
    if (pressure < 1) return false;
    state.lastPressure = now;
    const raise = Math.min(p.maxRaisePerReport, 1 + Math.floor(Math.log2(pressure)));
    return this.set(state, Math.min(p.maxBits, state.bits + raise), now);
  }

  /**
   * Decays every service by one bit per quiet `decaySeconds`; returns the services whose bits or
   * floor changed since the previous tick (the floor also rises as old difficulties age out).
   */
  tick(now: number): string[] {
    const changed: string[] = [];
    for (const [service, state] of this.services) {
      const quietSince = Math.max(state.lastPressure, state.lastChange);
      if (state.bits > this.policy.baseBits && now - quietSince >= this.policy.decaySeconds) this.set(state, state.bits - 1, now);
      const d = this.get(service, now);
      const key = `${d.bits}/${d.floorBits}`;
      if (this.lastSeen.get(service) !== key) {
        this.lastSeen.set(service, key);
        changed.push(service);
      }
    }
    return changed;
  }

  get(service: string, now: number): ServiceDifficulty {
    const state = this.services.get(service);
    if (!state) return { bits: this.policy.baseBits, floorBits: this.policy.baseBits, subPuzzles: this.policy.subPuzzles };
    this.trim(state, now);
    return { bits: state.bits, floorBits: this.floor(state), subPuzzles: this.policy.subPuzzles };
  }

  serviceKeys(): string[] {
    return [...this.services.keys()];
  }

  private state(service: string, now: number): ServiceState {
    let s = this.services.get(service);
    if (!s) {
      s = { bits: this.policy.baseBits, lastPressure: -Infinity, lastChange: now, history: [] };
      this.services.set(service, s);
    }
    return s;
  }

  private set(state: ServiceState, bits: number, now: number): boolean {
    if (bits === state.bits) return false;
    state.history.push({ at: now, bits: state.bits });
    state.bits = bits;
    state.lastChange = now;
    this.trim(state, now);
    return true;
  }

  /** Keeps only the bits in force during the last validity window. */
  private trim(state: ServiceState, now: number): void {
    // An entry records the bits in force *until* the next change; it matters while that change is
    // younger than the validity window.
    while (state.history.length > 0) {
      const nextChange = state.history.length > 1 ? state.history[1]!.at : state.lastChange;
      if (now - nextChange > this.policy.validitySeconds) state.history.shift();
      else break;
    }
  }

  private floor(state: ServiceState): number {
    let floor = state.bits;
    for (const h of state.history) floor = Math.min(floor, h.bits);
    return floor;
  }
}
