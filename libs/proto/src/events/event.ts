import type { Status } from './status.js';

/**
 * One status transition made by one edge (DESIGN.md section 5). The field order here is the
 * record structure on the wire (see codec.ts); changing it needs a new version number.
 */
export interface StatusEvent {
  /** Tenant id (1–64 characters of UTF-8). */
  tenant: string;
  /** Source IP as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d). */
  ip: Uint8Array;
  prevStatus: Status;
  status: Status;
  /** UNIX time in seconds when the status lapses back to NONE; 0 = never. */
  expiry: number;
  /** Hybrid logical clock: wall part in milliseconds since the epoch. */
  hlcWall: number;
  /** Hybrid logical clock: logical counter within one wall millisecond (0–65535). */
  hlcLogical: number;
  /** The edge that made the transition (a subject token, see names.ts). */
  edgeId: string;
  /** Per-edge sequence number, strictly increasing in publish order. */
  seq: number;
  /** Why the status changed (ReasonCode). */
  reason: number;
  /** Version of the tenant program that decided it (0 when no program was involved). */
  programVersion: number;
}

/** Many events of one edge in one NATS message, in per-edge sequence order. */
export interface EventBatch {
  edgeId: string;
  /** Where the edge runs (its config's `region` and `datacenter`); '' in batches of version 1, which had neither. */
  region: string;
  datacenter: string;
  events: StatusEvent[];
}

/** The record structures; their order is the encoding, so these arrays are frozen per version. */
export const EVENT_FIELDS = [
  'tenant', 'ip', 'prevStatus', 'status', 'expiry', 'hlcWall', 'hlcLogical', 'edgeId', 'seq', 'reason', 'programVersion',
] as const satisfies readonly (keyof StatusEvent)[];

/** Version 1 batches (still decoded). */
export const BATCH_FIELDS_V1 = ['edgeId', 'events'] as const satisfies readonly (keyof EventBatch)[];
export const BATCH_FIELDS = ['edgeId', 'region', 'datacenter', 'events'] as const satisfies readonly (keyof EventBatch)[];

export const EVENT_LIMITS = {
  maxTenantLength: 64,
  maxHlcLogical: 0xffff,
  maxReason: 0xffff,
  /** Events in one batch; with ~60 bytes each this stays far below the 1 MiB NATS payload. */
  maxBatchEvents: 10_000,
} as const;
