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

interface UdpOptions { srcPort?: number; dstPort: number; payload: Uint8Array | number[]; udpLength?: number }

/** The UDP header and payload at `at` of `ip`, and the metadata the edge would derive. */
function withUdp(ip: Uint8Array, at: number, o: UdpOptions, payload: Uint8Array, srcIp: Uint8Array, dstIp: Uint8Array, ipVersion: 4 | 6): { ip: Uint8Array; meta: PacketMeta } {
  const view = new DataView(ip.buffer);
  view.setUint16(at, o.srcPort ?? 40000);
  view.setUint16(at + 2, o.dstPort);
  view.setUint16(at + 4, o.udpLength ?? 8 + payload.length);
  ip.set(payload, at + 8);
  return { ip, meta: { srcIp, dstIp, srcPort: o.srcPort ?? 40000, dstPort: o.dstPort, ipVersion, payload: ip.subarray(at + 8) } };
}

/** An IPv4/UDP packet (checksums zero) and the metadata the edge would derive for it. */
export function udp4(options: UdpOptions & { src?: number[]; dst?: number[] }): { ip: Uint8Array; meta: PacketMeta } {
  const payload = Uint8Array.from(options.payload);
  const src = options.src ?? [192, 0, 2, 10];
  const dst = options.dst ?? [198, 51, 100, 1];
  const ip = new Uint8Array(28 + payload.length);
  ip[0] = 0x45;
  new DataView(ip.buffer).setUint16(2, ip.length);
  ip[8] = 64;
  ip[9] = 17;
  ip.set(src, 12);
  ip.set(dst, 16);
  return withUdp(ip, 20, options, payload, mapped(src), mapped(dst), 4);
}

/** An IPv6/UDP packet (checksum zero, 2001:db8::a to 2001:db8::1) and its metadata. */
export function udp6(options: UdpOptions & { src?: number[] }): { ip: Uint8Array; meta: PacketMeta } {
  const payload = Uint8Array.from(options.payload);
  const address = (last: number) => Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), last);
  const ip = new Uint8Array(48 + payload.length);
  ip[0] = 0x60;
  new DataView(ip.buffer).setUint16(4, 8 + payload.length);
  ip[6] = 17;
  ip[7] = 64;
  const src = options.src ? Uint8Array.from(options.src) : address(10);
  ip.set(src, 8);
  ip.set(address(1), 24);
  return withUdp(ip, 40, options, payload, src, address(1), 6);
}
