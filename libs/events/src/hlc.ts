import { EVENT_LIMITS } from '@flowshield/proto';

export interface HlcTimestamp {
  /** Milliseconds since the epoch (the physical part, never behind the largest seen). */
  wall: number;
  /** Counter that orders events within one wall millisecond (0–65535). */
  logical: number;
}

export interface HybridLogicalClockOptions {
  /** Physical clock in milliseconds; injectable so tests can make it stand still or jump back. */
  now?: () => number;
}

/**
 * Hybrid logical clock (Kulkarni et al.): close to wall time, yet strictly increasing per
 * process even when the wall clock stands still or steps back, and after `observe` it is ahead
 * of every timestamp it has seen, so causally later transitions order later everywhere.
 */
export class HybridLogicalClock {
  private wall = 0;
  private logical = 0;
  private readonly physical: () => number;

  constructor(options: HybridLogicalClockOptions = {}) {
    this.physical = options.now ?? Date.now;
  }

  /** A timestamp for a local event (a status transition made here). */
  now(): HlcTimestamp {
    const pt = this.physical();
    if (pt > this.wall) {
      this.wall = pt;
      this.logical = 0;
    } else {
      this.tick();
    }
    return { wall: this.wall, logical: this.logical };
  }

  /** Merges a timestamp received from elsewhere (e.g. another edge's event) and returns the new local time. */
  observe(remote: HlcTimestamp): HlcTimestamp {
    const pt = this.physical();
    const maxWall = Math.max(pt, this.wall, remote.wall);
    if (maxWall === this.wall && maxWall === remote.wall) {
      this.logical = Math.max(this.logical, remote.logical);
      this.tick();
    } else if (maxWall === this.wall) {
      this.tick();
    } else if (maxWall === remote.wall) {
      this.wall = remote.wall;
      this.logical = remote.logical;
      this.tick();
    } else {
      this.wall = pt;
      this.logical = 0;
    }
    return { wall: this.wall, logical: this.logical };
  }

  /** The last timestamp handed out, without advancing. */
  peek(): HlcTimestamp {
    return { wall: this.wall, logical: this.logical };
  }

  private tick(): void {
    // The logical part has 16 bits on the wire; on overflow borrow one millisecond from the future.
    if (this.logical >= EVENT_LIMITS.maxHlcLogical) {
      this.wall += 1;
      this.logical = 0;
    } else {
      this.logical += 1;
    }
  }
}

export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): number {
  return a.wall !== b.wall ? (a.wall < b.wall ? -1 : 1) : a.logical - b.logical;
}
