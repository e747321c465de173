import type { EpochInfo } from '@flowshield/proto';

/** Times of one epoch (UNIX seconds); key bytes are derived separately and never stored here. */
export interface EpochTimes {
  keyId: number;
  notBefore: number;
  notAfter: number;
  acceptUntil: number;
}

export interface EpochScheduleOptions {
  /** Length of an epoch in seconds (default 60). The previous epoch stays accepted this long again. */
  epochSeconds?: number;
  /** Publish the next epoch this many seconds before it starts, so every edge has it in time (default 15). */
  leadSeconds?: number;
}

/**
 * Decides which epochs exist: previous (accepted), current (issuing), next (published ahead). Pure:
 * `tick` and `rotate` return the epochs whose records must be (re)written and the ids to delete.
 */
export class EpochSchedule {
  readonly epochSeconds: number;
  readonly leadSeconds: number;
  private epochs: EpochTimes[] = [];

  constructor(options: EpochScheduleOptions = {}) {
    this.epochSeconds = options.epochSeconds ?? 60;
    this.leadSeconds = options.leadSeconds ?? 15;
    if (!(this.epochSeconds >= 2) || !(this.leadSeconds >= 0 && this.leadSeconds < this.epochSeconds)) {
      throw new RangeError('epochSeconds must be ≥ 2 and leadSeconds in [0, epochSeconds)');
    }
  }

  /** Restores epochs found in the KV bucket at start-up. */
  load(existing: EpochTimes[]): void {
    this.epochs = [...existing].sort((a, b) => a.keyId - b.keyId);
  }

  all(): EpochTimes[] {
    return this.epochs.map((e) => ({ ...e }));
  }

  current(now: number): EpochTimes | null {
    let best: EpochTimes | null = null;
    for (const e of this.epochs) if (e.notBefore <= now && now < e.notAfter && (!best || e.keyId > best.keyId)) best = e;
    return best;
  }

  /** Creates the current and next epochs as needed and retires the ones past acceptance. */
  tick(now: number): { upsert: EpochTimes[]; remove: number[] } {
    const upsert: EpochTimes[] = [];
    const remove = this.epochs.filter((e) => e.acceptUntil < now).map((e) => e.keyId);
    this.epochs = this.epochs.filter((e) => e.acceptUntil >= now);
    let current = this.current(now);
    if (current === null) {
      // First start, or the service was down longer than an epoch: start a fresh one now. Ids grow
      // from the clock so a restart with an empty bucket never reuses an id (and thus a key).
      const lastId = this.epochs.reduce((m, e) => Math.max(m, e.keyId), 0);
      current = this.make(Math.max(lastId + 1, Math.floor(now / this.epochSeconds)), now);
      // Drop any pre-published epoch that would start later than the new current one.
      remove.push(...this.epochs.filter((e) => e.notBefore > now).map((e) => e.keyId));
      this.epochs = this.epochs.filter((e) => e.notBefore <= now);
      this.epochs.push(current);
      upsert.push(current);
    }
    const hasNext = this.epochs.some((e) => e.keyId > current!.keyId);
    if (!hasNext && current.notAfter - now <= this.leadSeconds) {
      const next = this.make(current.keyId + 1, current.notAfter);
      this.epochs.push(next);
      upsert.push(next);
    }
    return { upsert, remove };
  }

  /**
   * Ends the current epoch now (an operator's `keys rotate`, or a suspected key leak): the current
   * epoch stops issuing but stays accepted for one epoch. The next epoch, when already published,
   * becomes current now under its own id (every edge already holds its key, so challenges it
   * issues verify everywhere at once); only when none is published does a new epoch start.
   */
  rotate(now: number): { upsert: EpochTimes[]; remove: number[]; current: EpochTimes; previous: EpochTimes | null } {
    const first = this.tick(now);
    const previous = this.current(now);
    const upsert = [...first.upsert];
    const remove = [...first.remove];
    const lastId = this.epochs.reduce((m, e) => Math.max(m, e.keyId), 0);
    const ahead = this.epochs.filter((x) => x.notBefore > now).sort((a, b) => a.keyId - b.keyId);
    // Only the first published epoch is promoted; any later one would start inside its new span.
    for (const e of ahead.slice(1)) remove.push(e.keyId);
    this.epochs = this.epochs.filter((x) => x.notBefore <= now || x === ahead[0]);
    if (previous) {
      previous.notAfter = now;
      previous.acceptUntil = now + this.epochSeconds;
      upsert.push({ ...previous });
    }
    let current: EpochTimes;
    if (ahead[0]) {
      current = ahead[0];
      Object.assign(current, this.make(current.keyId, now));
    } else {
      current = this.make(lastId + 1, now);
      this.epochs.push(current);
    }
    upsert.push({ ...current });
    return { upsert: dedupe(upsert).filter((e) => !remove.includes(e.keyId)), remove, current, previous };
  }

  /** For `keys list`: ids and times with their role now. */
  info(now: number): EpochInfo[] {
    const current = this.current(now);
    return this.epochs.map((e) => ({
      id: e.keyId, notBefore: e.notBefore, notAfter: e.notAfter, acceptUntil: e.acceptUntil,
      state: e === current ? 'current' : e.notBefore > now ? 'next' : 'previous',
    }));
  }

  private make(keyId: number, notBefore: number): EpochTimes {
    return { keyId, notBefore, notAfter: notBefore + this.epochSeconds, acceptUntil: notBefore + 2 * this.epochSeconds };
  }
}

function dedupe(list: EpochTimes[]): EpochTimes[] {
  const byId = new Map<number, EpochTimes>();
  for (const e of list) byId.set(e.keyId, e);
  return [...byId.values()];
}
