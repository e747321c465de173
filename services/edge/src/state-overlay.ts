import { FLOW_KEY_BYTES, IP_KEY_BYTES, StatusTable, U64Table, type StateStore, type StatusEntry } from '@flowshield/vm';
import { isFleetTransition, type EventPublisher } from '@flowshield/events';
import type { ReplicaReader } from '@flowshield/replica';
import { ReasonCode, type StatusEvent } from '@flowshield/proto';
import { DEFAULT_MEMORY, type MemoryConfig } from './config.js';

/** Byte budgets of one tenant's state tables (ServiceConfig.memory). */
export type StateMemory = Pick<MemoryConfig, 'statusBytes' | 'ipDataBytes' | 'flowDataBytes'>;

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
 * user data stay local. Every table is an LruTable bounded by its byte budget.
 *
 * The overlay is two tables, half the status budget each: first contacts (which a flood of new
 * sources churns) and the published statuses (VERIFIED, BLOCKED and their downgrades, which only
 * real hosts earn). A source is in at most one of them. So however many spoofed sources arrive, a
 * verified client's entry is never evicted by them, and it is not challenged again.
 */
export class TenantState implements StateStore {
  /** published transitions (VERIFIED, BLOCKED, downgrades from them) not yet in the replica */
  readonly overlay: StatusTable;
  /** first contacts (NONE or CHALLENGED to CHALLENGED or NONE), kept on this edge only */
  readonly firstContacts: StatusTable;
  readonly ipData: U64Table;
  readonly flowData: U64Table;
  /** program version recorded in events */
  programVersion = 0;
  /** moved on by every write here and every replica commit seen (statusVersion) */
  private version = 0;
  private seenReplica: ReplicaReader | null = null;
  private seenApplied = 0;
  /** transitions kept on this edge (no event), by the status they set */
  readonly localTransitions = [0, 0, 0, 0];

  constructor(
    readonly tenant: string,
    private readonly publisher: EventPublisher | null,
    /** the host's replica, once it exists (the state service may start after the edge) */
    private readonly replica: { current: ReplicaReader | null },
    memory: StateMemory = DEFAULT_MEMORY,
  ) {
    const half = Math.max(4096, Math.floor(memory.statusBytes / 2));
    this.overlay = new StatusTable({ maxBytes: half });
    this.firstContacts = new StatusTable({ maxBytes: half });
    this.ipData = new U64Table(IP_KEY_BYTES, { maxBytes: memory.ipDataBytes });
    this.flowData = new U64Table(FLOW_KEY_BYTES, { maxBytes: memory.flowDataBytes });
  }

  getStatus(ip: Uint8Array, now: number): StatusEntry | undefined {
    let table = this.firstContacts;
    let own = table.peek(ip);
    if (!own) {
      table = this.overlay;
      own = table.peek(ip);
    }
    const shared = this.replica.current?.lookup(this.tenant, ip, Math.floor(now)) ?? null;
    if (own && shared && (shared.hlc.wall > own.hlcWall || (shared.hlc.wall === own.hlcWall && shared.hlc.logical >= own.hlcLogical))) {
      table.delete(ip); // the replica caught up (or saw something newer)
    } else if (own && table === this.firstContacts && own.expiry !== 0 && own.expiry <= now) {
      // An expired first contact (local only: perhaps a spoofed packet's, made before this edge
      // learnt the source was verified elsewhere) hides nothing the replica holds.
      table.delete(ip);
    } else if (own) {
      return own.expiry !== 0 && own.expiry <= now ? undefined : { status: own.status, expiry: own.expiry };
    }
    if (!shared || shared.status === 0) return undefined;
    return { status: shared.status, expiry: shared.expiry };
  }

  /**
   * Changes whenever getStatus may answer otherwise: a status set here, or a commit of the state
   * service (the replica's read snapshot moves only between event-loop turns, never inside a
   * batch). Read before each batch; it lets the VM keep answers in the program's memory.
   */
  statusVersion(): number {
    const replica = this.replica.current;
    const applied = replica?.appliedEvents() ?? 0;
    if (replica !== this.seenReplica || applied !== this.seenApplied) {
      this.seenReplica = replica;
      this.seenApplied = applied;
      this.version++;
    }
    return this.version;
  }

  setStatus(ip: Uint8Array, entry: StatusEntry, now: number): void {
    this.version++;
    const prev = this.getStatus(ip, now)?.status ?? 0;
    if (!isFleetTransition(prev, entry.status)) {
      // A first contact: the challenge verifies on any edge, so nobody else needs to know.
      this.localTransitions[entry.status]!++;
      const t = this.publisher?.clock.now() ?? { wall: Math.floor(now * 1000), logical: 0 };
      this.firstContacts.set(ip, { status: entry.status, expiry: entry.expiry, hlcWall: t.wall, hlcLogical: t.logical });
      this.overlay.delete(ip);
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
    this.overlay.set(ip, { status: entry.status, expiry: entry.expiry, hlcWall: wall, hlcLogical: event?.hlcLogical ?? 0 });
    this.firstContacts.delete(ip);
  }

  getIpData(ip: Uint8Array): bigint | undefined {
    return this.ipData.get(ip);
  }

  setIpData(ip: Uint8Array, value: bigint): void {
    this.ipData.set(ip, value);
  }

  getFlowData(flow: Uint8Array): bigint | undefined {
    return this.flowData.get(flow);
  }

  setFlowData(flow: Uint8Array, value: bigint): void {
    this.flowData.set(flow, value);
  }

  get overlaySize(): number {
    return this.overlay.size + this.firstContacts.size;
  }
}
