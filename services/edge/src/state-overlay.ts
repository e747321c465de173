import { LruMap, type StateStore, type StatusEntry } from '@flowshield/vm';
import { isFleetTransition, type EventPublisher } from '@flowshield/events';
import type { ReplicaReader } from '@flowshield/replica';
import { ReasonCode, type StatusEvent } from '@flowshield/proto';

const ipKey = (ip: Uint8Array): string => Buffer.from(ip.buffer, ip.byteOffset, ip.byteLength).toString('latin1');

interface OverlayEntry extends StatusEntry {
  hlcWall: number;
  hlcLogical: number;
}

/** Why a status changed, from the transition itself (the program decided it in every case). */
function reasonOf(from: number, to: number): number {
  if (to === 1) return ReasonCode.CHALLENGE_ISSUED;
  if (from === 1 && to === 2) return ReasonCode.CHALLENGE_SOLVED;
  if (from === 1 && to === 3) return ReasonCode.CHALLENGE_FAILED;
  return ReasonCode.PROGRAM;
}

/**
 * One tenant's view of per-source state on this edge. Reads: this edge's own recent transitions
 * first (the overlay), then the host's LMDB replica, so the packet path never waits on the
 * network. Writes: into the overlay at once and, when other edges must know (isFleetTransition:
 * to or from VERIFIED or BLOCKED), to the event publisher (non-blocking); a first contact (NONE
 * or CHALLENGED becoming CHALLENGED or NONE) stays in the overlay only and is counted. A published
 * overlay entry is dropped once the replica holds it or something newer. Per-source and per-flow
 * user data stay local (bounded LRU tables).
 */
export class TenantState implements StateStore {
  private readonly overlay: LruMap<string, OverlayEntry>;
  private readonly ipData: LruMap<string, bigint>;
  private readonly flowData: LruMap<string, bigint>;
  /** program version recorded in events */
  programVersion = 0;
  /** transitions kept on this edge (no event), by the status they set */
  readonly localTransitions = [0, 0, 0, 0];

  constructor(
    readonly tenant: string,
    private readonly publisher: EventPublisher | null,
    /** the host's replica, once it exists (the state service may start after the edge) */
    private readonly replica: { current: ReplicaReader | null },
    limits: { statuses?: number; ipData?: number; flowData?: number } = {},
  ) {
    this.overlay = new LruMap(limits.statuses ?? 200_000);
    this.ipData = new LruMap(limits.ipData ?? 200_000);
    this.flowData = new LruMap(limits.flowData ?? 200_000);
  }

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    const key = ipKey(ip);
    const own = this.overlay.peek(key);
    const shared = this.replica.current?.lookup(this.tenant, ip, Math.floor(now)) ?? null;
    if (own && shared && (shared.hlc.wall > own.hlcWall || (shared.hlc.wall === own.hlcWall && shared.hlc.logical >= own.hlcLogical))) {
      this.overlay.delete(key); // the replica caught up (or saw something newer)
    } else if (own) {
      return own.expiry !== 0 && own.expiry <= now ? undefined : own;
    }
    if (!shared || shared.status === 0) return undefined;
    return { status: shared.status, expiry: shared.expiry };
  }

  setStatus(ip: Uint8Array, entry: StatusEntry, now: number): void {
    const prev = this.getStatus(ip, now)?.status ?? 0;
    if (!isFleetTransition(prev, entry.status)) {
      // A first contact: the challenge verifies on any edge, so nobody else needs to know.
      this.localTransitions[entry.status]!++;
      const t = this.publisher?.clock.now() ?? { wall: Math.floor(now * 1000), logical: 0 };
      this.overlay.set(ipKey(ip), { status: entry.status, expiry: entry.expiry, hlcWall: t.wall, hlcLogical: t.logical });
      return;
    }
    let event: StatusEvent | null = null;
    if (this.publisher) {
      event = this.publisher.publish({
        tenant: this.tenant,
        ip: ip.slice(),
        prevStatus: prev as StatusEvent['prevStatus'],
        status: entry.status as StatusEvent['status'],
        expiry: entry.expiry,
        reason: reasonOf(prev, entry.status),
        programVersion: this.programVersion,
      });
      // A null event: the publisher's buffer is full (it counts that); the transition still applies here.
    }
    const wall = event?.hlcWall ?? Math.floor(now * 1000);
    this.overlay.set(ipKey(ip), { status: entry.status, expiry: entry.expiry, hlcWall: wall, hlcLogical: event?.hlcLogical ?? 0 });
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ipKey(ip));
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ipKey(ip), value);
  }

  getFlowData(flow: string): bigint | undefined {
    return this.flowData.get(flow);
  }

  setFlowData(flow: string, value: bigint): void {
    this.flowData.set(flow, value);
  }

  get overlaySize(): number {
    return this.overlay.size;
  }
}
