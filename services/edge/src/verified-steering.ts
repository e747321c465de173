import { STEERING_MAX_SOURCES, steeringProgram, type UdpBatchSocket } from '@flowshield/udp-batch';

/** Re-attaching copies and converts the program in the kernel: at most this often. */
const ATTACH_INTERVAL_MS = 1_000;
const STATUS_VERIFIED = 2;
const keyOf = (ip: Uint8Array): string => Buffer.from(ip.buffer, ip.byteOffset, ip.byteLength).toString('latin1');

/**
 * Verified sources steered to a reuse-port socket of their own (SO_ATTACH_REUSEPORT_CBPF), which
 * the packet loop drains first: under overload a flood of new sources fills only the other
 * socket's queue, and verified clients keep priority. With packet workers, the program also
 * spreads sources over the workers by address (each worker has a pair of sockets), and worker 0
 * keeps the set: it sees its own transitions and every other worker's (forwarded to its overlay). The set is the sources this service saw
 * become VERIFIED (answers, tokens, programs), bounded by what one classic BPF program holds
 * (STEERING_MAX_SOURCES, oldest dropped first); IPv4 only. A client verified elsewhere still
 * passes, through the shared queue. The program is rebuilt at most once a second when the set
 * changed.
 */
export class VerifiedSteering {
  private readonly known = new Map<string, Uint8Array>();
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  attaches = 0;
  /** sources in the program last attached (what the kernel steers now) */
  attached = 0;
  private lastAttachMs = 0;

  constructor(private readonly group: UdpBatchSocket, private readonly layout: { knownIndex: number; otherIndex: number; workers: number }) {
    this.attach();
  }

  /** A status a source was given, on this worker or (packet workers) on another. */
  follow(ip: Uint8Array, status: number): void {
    if (status === STATUS_VERIFIED) this.add(ip);
    else this.remove(ip);
  }

  get size(): number {
    return this.known.size;
  }

  add(ip: Uint8Array): void {
    const key = keyOf(ip);
    if (this.known.has(key)) return;
    if (this.known.size >= STEERING_MAX_SOURCES) this.known.delete(this.known.keys().next().value as string);
    this.known.set(key, ip.slice());
    this.changed();
  }

  remove(ip: Uint8Array): void {
    if (this.known.delete(keyOf(ip))) this.changed();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.dirty) this.attach();
    }, Math.max(0, this.lastAttachMs + ATTACH_INTERVAL_MS - Date.now()));
    this.timer.unref();
  }

  private attach(): void {
    this.dirty = false;
    if (this.group.closed) return;
    const { program, steered } = steeringProgram({ known: this.known.values(), ...this.layout });
    this.group.attachReusePortProgram(program);
    this.attached = steered;
    this.attaches++;
    this.lastAttachMs = Date.now();
  }
}
