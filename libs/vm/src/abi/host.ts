/*
 * What a program run needs from its host (the edge, `flowshield test`, tests): per-source state,
 * a clock, randomness, keys, challenge engine and limits. The VM does no I/O itself: the host
 * implements these interfaces; `InMemoryState` is the bounded implementation the VM ships.
 */

export const Status = { NONE: 0, CHALLENGED: 1, VERIFIED: 2, BLOCKED: 3 } as const;
export type Status = (typeof Status)[keyof typeof Status];

export interface StatusEntry {
  status: number;
  /** UNIX seconds; 0 = never expires */
  expiry: number;
}

/** The packet a run is about: addresses as 16 bytes (IPv4 mapped into IPv6). */
export interface PacketMeta {
  srcIp: Uint8Array;
  dstIp: Uint8Array;
  srcPort: number;
  dstPort: number;
  ipVersion: 4 | 6;
  /** the UDP payload (what a challenge answer arrives in, and what a challenge may not exceed) */
  payload: Uint8Array;
}

export interface StateStore {
  /** The live entry for `ip` (expired entries read as absent). */
  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined;
  /** Records a status change; the host publishes it as an event. */
  setStatus(ip: Uint8Array, entry: StatusEntry, now: number): void;
  /**
   * A number that changes whenever `getStatus` may answer otherwise for some source at the same
   * time, other than an entry passing its expiry (after which the store may answer anything).
   * With it the wasm engine keeps the answers in the program's memory and serves repeat sources
   * without a call out (ProgramInstanceOptions.statusCache); it is read before every run, and a
   * status the program sets (set_src_ip_status) counts as a change by itself. Offer it only if
   * statuses change nowhere else while a batch runs (no helper of the host's sets one).
   */
  statusVersion?(): number;
  getIpData(ip: Uint8Array): bigint | undefined;
  setIpData(ip: Uint8Array, value: bigint): void;
  /** `flow`: FLOW_KEY_BYTES (source IP, source port, destination IP, destination port; flowKeyInto) */
  getFlowData(flow: Uint8Array): bigint | undefined;
  setFlowData(flow: Uint8Array, value: bigint): void;
}

/**
 * The standard challenge (helpers 64 and 65). The VM only declares it: the host supplies it
 * (libs/puzzle's StandardChallenge on the edge and in `flowshield test`), so the answer check and
 * what the host observes of it (rejection reasons as metrics) live outside the VM.
 */
export interface ChallengeEngine {
  /** The size of every challenge `issue` makes: a smaller trigger is refused before the limits are asked. */
  readonly challengeBytes: number;
  /**
   * A challenge payload for this packet's source, or why none is sent, as fs_issue_challenge's
   * code: -4 the trigger is too small to carry it, -5 challenges unavailable, -6 rate limited.
   */
  issue(meta: PacketMeta, now: number): Uint8Array | -4 | -5 | -6;
  /** 1 valid, 0 not an answer, a negative reason code otherwise (flowshield.h FS_ANSWER_*). */
  verify(meta: PacketMeta, now: number): number;
}

export interface Clock {
  /** UNIX time in seconds (fractional) */
  now(): number;
  /** monotonic nanoseconds, for bpf_ktime_get_ns */
  monotonicNs(): bigint;
}

export interface HostEnvironment {
  state: StateStore;
  clock: Clock;
  /** uniform random 32-bit unsigned integers */
  random(): number;
  /**
   * Per-tenant key of the hmac helpers (8, 9, 20), the same on every edge; null while the host
   * does not hold it yet (the helpers then return FS_ERR_NO_KEY, never a MAC under another key).
   */
  hmacKey: Uint8Array | null;
  challengesEnabled: boolean;
  /** whether a challenge may be sent to this source now (per-source, per-prefix and per-target limits) */
  allowChallenge(meta: PacketMeta, now: number): boolean;
  /** whether a reply (helper 68) may be sent to this source now (the same kinds of limits) */
  allowReply(meta: PacketMeta, now: number): boolean;
  challenge: ChallengeEngine | null;
  /** helper 66 */
  counter(id: number, delta: bigint): void;
  /** printf output; absent = printf is a no-op (production) */
  print?: (line: string) => void;
}

export const systemClock: Clock = {
  now: () => Date.now() / 1000,
  monotonicNs: () => process.hrtime.bigint(),
};

/** What one run did besides its verdict. */
export class RunEffects {
  challenge: Uint8Array | null = null;
  reply: Uint8Array | null = null;
  tag: bigint | null = null;
  statusChange: { from: number; to: number; expiry: number } | null = null;
  printed: string[] = [];

  reset(): void {
    this.challenge = null;
    this.reply = null;
    this.tag = null;
    this.statusChange = null;
    if (this.printed.length) this.printed = [];
  }
}
