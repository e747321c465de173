import type { Logger } from 'pino';

/**
 * Warnings about bad input (and samples of frequent events), at most one per kind per interval
 * with a count of what was suppressed, so a flood of garbage cannot flood the log. Every service
 * logs bad input through this one class, so the limit means the same everywhere.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly logger: Logger, private readonly intervalMs = 10_000, private readonly clock: () => number = Date.now) {}

  /** `fields` may be a function: it is called only when the line is written, not for suppressed ones. */
  warn(kind: string, fields: object | (() => object), message: string): void {
    this.write('warn', kind, fields, message);
  }

  /** A sample of something frequent and normal (analytics tags): the same limit, at info level. */
  info(kind: string, fields: object | (() => object), message: string): void {
    this.write('info', kind, fields, message);
  }

  private write(level: 'warn' | 'info', kind: string, fields: object | (() => object), message: string): void {
    const now = this.clock();
    const entry = this.last.get(kind);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    this.logger[level]({ ...(typeof fields === 'function' ? fields() : fields), kind, suppressed: entry?.suppressed ?? 0 }, message);
    this.last.set(kind, { at: now, suppressed: 0 });
    if (this.last.size > 1000) this.last.clear();
  }
}
