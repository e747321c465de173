/**
 * Progress on stderr for long operator commands: a redrawn bar when stderr is a terminal,
 * otherwise one plain line every few seconds (logs and CI stay readable) — or nothing, with
 * `ttyOnly` (a service, whose stderr is a log).
 */
/** Where a bar goes: stderr, or a command's own stderr when the CLI runs in-process. */
export interface ProgressOutput { write(text: string): unknown; readonly isTTY?: boolean }

export class Progress {
  private readonly tty: boolean;
  private lastDraw = 0;
  private readonly started = Date.now();

  private readonly silent: boolean;

  constructor(private readonly label: string, private readonly total: number, private readonly out: ProgressOutput = process.stderr,
    private readonly lineIntervalMs = 2_000, ttyOnly = false, private readonly format: (n: number) => string = String) {
    this.tty = Boolean(out.isTTY);
    this.silent = ttyOnly && !this.tty;
  }

  update(done: number, extra = ''): void {
    if (this.silent) return;
    const now = Date.now();
    if (now - this.lastDraw < (this.tty ? 100 : this.lineIntervalMs)) return;
    this.lastDraw = now;
    this.draw(done, extra);
  }

  finish(done: number, extra = ''): void {
    if (this.silent) return;
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
      this.out.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct} ${this.format(done)}/${this.format(this.total)} ${extra} ${elapsed}s\x1b[K`);
    } else {
      this.out.write(`${this.label}: ${pct} (${this.format(done)}/${this.format(this.total)}) ${extra} ${elapsed}s\n`);
    }
  }
}

/** The phases of a snapshot (`SnapshotProgressFn`), one bar each; byte counts shown in MiB. */
export class SnapshotProgress {
  private current: { phase: string; bar: Progress; done: number } | null = null;

  constructor(private readonly label: string, private readonly out: ProgressOutput = process.stderr, private readonly ttyOnly = false) {}

  readonly update = (phase: string, done: number, total: number): void => {
    if (this.current?.phase !== phase) {
      this.finish();
      const format = phase === 'verify' ? String : mebibytes;
      this.current = { phase, bar: new Progress(`${this.label} ${phase}`, total, this.out, 2_000, this.ttyOnly, format), done: 0 };
    }
    this.current.done = done;
    this.current.bar.update(done, unitOf(phase));
  };

  finish(): void {
    if (this.current) this.current.bar.finish(this.current.done, unitOf(this.current.phase));
    this.current = null;
  }
}

const unitOf = (phase: string): string => (phase === 'verify' ? 'entries' : 'MiB');
const mebibytes = (bytes: number): string => (bytes / 1_048_576).toFixed(1);
