import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A process of the local stack whose pino lines are shown (compactly) and watched. */
export class StackChild {
  readonly process: ChildProcess;
  private readonly listeners: ((line: Record<string, unknown>) => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, command: string, args: string[], options: { env?: Record<string, string>; show: (name: string, line: Record<string, unknown>) => void }) {
    // Its own process group: Ctrl-C reaches only `flowshield start`, which stops the stack in order.
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env }, detached: true });
    const onLine = (text: string) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        line = { msg: text };
      }
      options.show(name, line);
      for (const l of this.listeners) l(line);
    };
    createInterface({ input: this.process.stdout! }).on('line', onLine);
    createInterface({ input: this.process.stderr! }).on('line', onLine);
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  /** Resolves with the first log line matching, or rejects when the process exits or time runs out. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not become ready within ${timeoutMs / 1000} s`)), timeoutMs);
      this.listeners.push((line) => {
        if (predicate(line)) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}) before it was ready`));
      });
    });
  }

  kill(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
