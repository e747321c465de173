import { endpoint, type Endpoint } from '@flowshield/proto';
import { KeyRing } from './key-ring.js';
import { PuzzleEngine, type PuzzleEngineOptions } from './engine.js';

/**
 * Test fixtures shared by this package's tests (not exported from the front door): a settable clock
 * and an engine with one or two epochs in its ring.
 */
export class ManualClock {
  constructor(public ms: number) {}
  readonly now = (): number => this.ms;
  advanceSeconds(s: number): void { this.ms += s * 1000; }
}

export const T0 = 1_800_000_000;
export const CLIENT: Endpoint = endpoint('198.51.100.7', 40000);
export const TARGET: Endpoint = endpoint('203.0.113.5', 207);

export function epochKey(keyId: number, notBefore: number, seconds = 60): { keyId: number; notBefore: number; notAfter: number; acceptUntil: number; key: Uint8Array } {
  const key = new Uint8Array(32).fill(keyId & 0xff);
  key[0] = 0xa5;
  return { keyId, notBefore, notAfter: notBefore + seconds, acceptUntil: notBefore + 2 * seconds, key };
}

export function makeEngine(options: Partial<PuzzleEngineOptions> = {}): { engine: PuzzleEngine; clock: ManualClock; ring: KeyRing } {
  const clock = new ManualClock(T0 * 1000);
  const ring = options.keyRing ?? new KeyRing();
  if (!options.keyRing) ring.upsert(epochKey(1, T0 - 10));
  const engine = new PuzzleEngine({ keyRing: ring, clock: clock.now, ...options });
  return { engine, clock, ring };
}
