import type { HostEnvironment, PacketMeta } from './host.js';
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
  /** the IP packet, for bpf_skb_load_bytes */
  packet: Uint8Array = new Uint8Array(0);
  readonly effects = new RunEffects();
  /** fs_rate_limit's buckets, kept across runs of this instance */
  readonly buckets = new TokenBuckets();

  constructor(
    readonly env: HostEnvironment,
    readonly maps: MapStore,
  ) {}
}

const EMPTY_META: PacketMeta = { srcIp: new Uint8Array(16), dstIp: new Uint8Array(16), srcPort: 0, dstPort: 0, ipVersion: 4, payload: new Uint8Array(0) };
