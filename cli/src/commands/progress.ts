import { io, type CliOutput } from '../io.js';
/**
 * Progress on stderr for long operator commands: a redrawn bar when stderr is a terminal,
 * otherwise one plain line every few seconds (logs and CI stay readable).
 */
export class Progress {
  private readonly tty: boolean;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(private readonly label: string, private readonly total: number, private readonly out: CliOutput = io().stderr,
    private readonly lineIntervalMs = 2_000) {
    this.tty = Boolean(out.isTTY);
  }

  update(done: number, extra = ''): void {
    const now = Date.now();
    if (now - this.lastDraw < (this.tty ? 100 : this.lineIntervalMs)) return;
    this.lastDraw = now;
    this.draw(done, extra);
  }

  finish(done: number, extra = ''): void {
    this.draw(done, extra);
    if (this.tty) this.out.write('\n');
  }

  private draw(done: number, extra: string): void {
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const pct = `${(fraction * 100).toFixed(0).padStart(3)}%`;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(1);
    if (this.tty) {
      const width = 30;
      const filled = Math.round(fraction * width);
      this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ${done}/${this.total} ${extra} ${elapsed}s\x1b[K`);
    } else {
      this.out.write(`${this.label}: ${pct} (${done}/${this.total}) ${extra} ${elapsed}s\n`);
    }
  }
}
