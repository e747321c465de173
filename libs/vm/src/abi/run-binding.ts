import type { HostEnvironment, PacketMeta, StatusEntry } from './host.js';
import { RunEffects } from './host.js';
import type { MapStore } from './maps.js';
import { TokenBuckets } from './token-bucket.js';

/**
 * The per-run values helpers read: set by the program instance before each run, so the helper
 * table is built once per instance and never per packet.
 */
export class RunBinding {
  meta: PacketMeta = EMPTY_META;
  now = 0;
  private packetView: Uint8Array | null = EMPTY_BYTES;
  private packetBytes: Uint8Array = EMPTY_BYTES;
  private packetStart = 0;
  private packetEnd = 0;
  readonly effects = new RunEffects();
  /** fs_rate_limit's buckets, kept across runs of this instance */
  readonly buckets = new TokenBuckets();
  /** told of every status the helpers read or set while an engine keeps a cache of them (the wasm engine's) */
  statusObserver: StatusObserver | null = null;

  constructor(
    readonly env: HostEnvironment,
    readonly maps: MapStore,
  ) {}

  /** The IP packet, for bpf_skb_load_bytes (the one helper that reads it through the host). */
  get packet(): Uint8Array {
    return (this.packetView ??= this.packetBytes.subarray(this.packetStart, this.packetEnd));
  }

  set packet(ip: Uint8Array) {
    this.packetView = ip;
  }

  /** The packet as bytes [start, end) of a batch slot: viewed only if a helper reads it, not per packet. */
  packetIn(bytes: Uint8Array, start: number, end: number): void {
    this.packetView = null;
    this.packetBytes = bytes;
    this.packetStart = start;
    this.packetEnd = end;
  }
}

/** What a cache of the host's statuses needs to hear from the status helpers. */
export interface StatusObserver {
  /** the host's answer for the packet's source */
  remember(ip: Uint8Array, entry: StatusEntry | undefined): void;
  /** a status was set: any answer may have changed (the store may have evicted others for it) */
  changed(): void;
}

const EMPTY_BYTES = new Uint8Array(0);

const EMPTY_META: PacketMeta = { srcIp: new Uint8Array(16), dstIp: new Uint8Array(16), srcPort: 0, dstPort: 0, ipVersion: 4, payload: new Uint8Array(0) };
