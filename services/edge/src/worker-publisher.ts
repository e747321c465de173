import { HybridLogicalClock, type EventInput } from '@flowshield/events';
import type { WorkerEvent } from './worker-protocol.js';

/**
 * What a packet worker's TenantState publishes to: the transition is stamped here (the overlay
 * needs the stamp at once), gathered, and posted to the main thread once per turn of the loop
 * (one postMessage per batch, not per event). The main thread's EventPublisher publishes it,
 * once, and forwards it to the other workers, which apply it through `applyRemote`: while that
 * runs, publish() only returns the event's own stamp and posts nothing.
 */
export class WorkerPublisher {
  readonly clock = new HybridLogicalClock();
  private pending: WorkerEvent[] = [];
  private scheduled = false;
  private remote: WorkerEvent | null = null;

  constructor(private readonly post: (events: WorkerEvent[]) => void) {}

  publish(input: EventInput): WorkerEvent {
    const remote = this.remote;
    if (remote) return remote;
    const t = this.clock.now();
    const event: WorkerEvent = { ...input, hlcWall: input.hlcWall ?? t.wall, hlcLogical: input.hlcLogical ?? t.logical };
    this.pending.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return event;
  }

  /** Runs `apply` (a setStatus) for a transition made on another worker, without re-publishing it. */
  applyRemote(event: WorkerEvent, apply: () => void): void {
    this.remote = event;
    try {
      apply();
    } finally {
      this.remote = null;
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const events = this.pending;
    this.pending = [];
    this.post(events);
  }
}
