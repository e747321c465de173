import type { ChallengeEngine, HostEnvironment, PacketMeta } from '../abi/host.js';
import { InMemoryState } from '../abi/memory-state.js';

/** A host for tests: in-memory state, a settable clock, deterministic randomness, every challenge allowed. */
export class FakeClockHost implements HostEnvironment {
  readonly state = new InMemoryState();
  now = 1_800_000_000;
  readonly clock = { now: () => this.now, monotonicNs: () => BigInt(Math.round(this.now * 1e9)) };
  hmacKey: Uint8Array | null = new Uint8Array(32).fill(7);
  challengesEnabled = true;
  challenge: ChallengeEngine | null = null;
  readonly counters = new Map<number, bigint>();
  readonly printed: string[] = [];
  print = (line: string) => { this.printed.push(line); };
  private seed = 12345;

  random(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed;
  }

  allowChallenge(): boolean {
    return true;
  }

  /** replies allowed until set false (a test of a refused reply) */
  repliesAllowed = true;

  allowReply(): boolean {
    return this.repliesAllowed;
  }

  counter(id: number, delta: bigint): void {
    this.counters.set(id, (this.counters.get(id) ?? 0n) + delta);
  }
}

const mapped = (v4: number[]) => Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4);

/** An IPv4/UDP packet (checksums zero) and the metadata the edge would derive for it. */
export function udp4(options: { src?: number[]; dst?: number[]; srcPort?: number; dstPort: number; payload: Uint8Array | number[]; udpLength?: number }): { ip: Uint8Array; meta: PacketMeta } {
  const payload = Uint8Array.from(options.payload);
  const src = options.src ?? [192, 0, 2, 10];
  const dst = options.dst ?? [198, 51, 100, 1];
  const ip = new Uint8Array(28 + payload.length);
  const view = new DataView(ip.buffer);
  ip[0] = 0x45;
  view.setUint16(2, ip.length);
  ip[8] = 64;
  ip[9] = 17;
  ip.set(src, 12);
  ip.set(dst, 16);
  view.setUint16(20, options.srcPort ?? 40000);
  view.setUint16(22, options.dstPort);
  view.setUint16(24, options.udpLength ?? 8 + payload.length);
  ip.set(payload, 28);
  return {
    ip,
    meta: { srcIp: mapped(src), dstIp: mapped(dst), srcPort: options.srcPort ?? 40000, dstPort: options.dstPort, ipVersion: 4, payload: ip.subarray(28) },
  };
}
