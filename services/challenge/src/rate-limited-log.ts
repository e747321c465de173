import type { Logger } from 'pino';

/**
 * Logs bad input at most `perInterval` times per key per interval, then one summary of how many
 * were suppressed: a flood of garbage must not turn into a flood of log lines.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number }>();

  constructor(private readonly log: Logger, private readonly perInterval = 10, private readonly intervalMs = 10_000, private readonly clock: () => number = Date.now) {}

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = this.clock();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.intervalMs) {
      if (w && w.suppressed > 0) this.log.warn({ key, suppressed: w.suppressed }, 'similar messages suppressed');
      w = { start: now, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.logged < this.perInterval) {
      w.logged++;
      this.log.warn(fields, message);
    } else {
      w.suppressed++;
    }
  }
}
