import { bytes16ToIp } from '@flowshield/proto';
import { LruTable } from '@flowshield/vm';
import { OriginLinks, type OriginLink } from './origin-link.js';
import { address16, type Address16 } from './packet-view.js';
import { DEFAULT_MEMORY } from './config.js';

/** key: the client's IP (16 bytes, IPv4 mapped) and port (2, big-endian) */
const KEY_BYTES = 18;
/** per session besides the key: last seen (8), generation (4), origin link reference (8) */
const VALUE_BYTES = 20;

/**
 * A client of one protected service, as this edge sees it: a handle on its table slot, made per
 * datagram (the table itself holds bytes, not objects). `generation` tells a handle whose slot was
 * since given to another client (evicted) from a live one.
 */
export class ClientSession {
  constructor(
    readonly ip: Address16,
    readonly port: number,
    readonly slot: number,
    readonly generation: number,
  ) {}

  /** The source as text, for logs: made only when asked, never on the packet path. */
  get address(): string {
    return bytes16ToIp(this.ip.bytes);
  }
}

const isV4Mapped = (b: Uint8Array): boolean => {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
};

export interface SessionTableOptions {
  /** the byte budget the capacity is derived from (default: DEFAULT_MEMORY.sessionsBytes) */
  maxBytes?: number;
  /** an optional cap in entries, below what the bytes allow */
  max?: number | null;
  idleSeconds: number;
  origin: { host: string; port: number };
  /** an origin reply for the session's client (`data` valid only during the call) */
  onReply: (session: ClientSession, data: Uint8Array) => void;
}

/**
 * Clients by address and port in an LruTable bounded in bytes (least recently seen evicted first,
 * closing its origin socket) and closed when idle. A client gets an origin socket only when one of
 * its packets passes, so a flood of spoofed sources costs a table entry each (SessionTable.bytesPerEntry),
 * never a socket or an object.
 */
export class SessionTable {
  readonly table: LruTable;
  private readonly lastSeen: Float64Array;
  private readonly generation: Uint32Array;
  /** a relaying session's origin socket, by slot (what only a passed source has) */
  private readonly origins: (OriginLink<ClientSession> | undefined)[];
  private readonly links: OriginLinks<ClientSession>;
  private readonly key = new Uint8Array(KEY_BYTES);
  private readonly sweeper: NodeJS.Timeout;
  relayed = 0;
  /** sessions that currently hold an origin socket */
  relaying = 0;

  /** Bytes one session takes in the table at `capacity` (about 60). */
  static bytesPerEntry(capacity: number): number {
    return LruTable.bytesFor(capacity, KEY_BYTES, VALUE_BYTES) / capacity;
  }

  constructor(private readonly options: SessionTableOptions) {
    let capacity = LruTable.capacityFor(options.maxBytes ?? DEFAULT_MEMORY.sessionsBytes, KEY_BYTES, VALUE_BYTES);
    if (options.max != null) capacity = Math.min(capacity, options.max);
    this.table = new LruTable({ keyBytes: KEY_BYTES, valueBytes: VALUE_BYTES, capacity, onEvict: (slot) => this.closeSlot(slot) });
    this.lastSeen = new Float64Array(capacity);
    this.generation = new Uint32Array(capacity);
    this.origins = new Array<OriginLink<ClientSession> | undefined>(capacity);
    this.links = new OriginLinks(options.origin, (session, data) => {
      if (this.generation[session.slot] !== session.generation) return; // closed with its session
      this.lastSeen[session.slot] = Date.now();
      this.table.touch(session.slot);
      this.relayed++;
      this.options.onReply(session, data);
    });
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(5_000, options.idleSeconds * 500));
    this.sweeper.unref();
  }

  get capacity(): number {
    return this.table.capacity;
  }

  /** Whether this source (16 bytes, IPv4 mapped) and port has a session; nothing is added or touched. */
  has(source: Uint8Array, port: number): boolean {
    const key = this.key;
    key.set(source, 0);
    key[16] = port >>> 8;
    key[17] = port & 0xff;
    return this.table.find(key) >= 0;
  }

  /**
   * The session of this source (16 bytes, IPv4 mapped, as the socket reports it — or text), touched
   * as most recently seen. The bytes are copied: the caller's may be a view of a reused buffer.
   */
  get(source: Uint8Array | string, port: number, nowMs: number): ClientSession {
    const ip: Address16 = typeof source === 'string' ? address16(source) : { bytes: source.slice(), v4: isV4Mapped(source) };
    const key = this.key;
    key.set(ip.bytes, 0);
    key[16] = port >>> 8;
    key[17] = port & 0xff;
    let slot = this.table.get(key);
    if (slot < 0) slot = this.table.add(key);
    this.lastSeen[slot] = nowMs;
    return new ClientSession(ip, port, slot, this.generation[slot]!);
  }

  /** Sends a passed payload to the origin on the client's own socket. */
  forward(session: ClientSession, payload: Uint8Array): void {
    // Evicted since its datagram arrived (a flood filled the table within one batch): admit it again.
    if (this.generation[session.slot] !== session.generation) session = this.get(session.ip.bytes, session.port, Date.now());
    let link = this.origins[session.slot];
    if (!link) {
      link = this.origins[session.slot] = this.links.open(session);
      this.relaying++;
    }
    link.send(payload);
  }

  get size(): number {
    return this.table.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const slot of this.table.slots()) this.closeSlot(slot);
    this.table.clear();
  }

  /** Ends the session in `slot` (evicted, idle or closing): its origin socket closes, its handles go stale. */
  private closeSlot(slot: number): void {
    this.generation[slot] = (this.generation[slot]! + 1) >>> 0;
    const link = this.origins[slot];
    if (!link) return;
    this.origins[slot] = undefined;
    this.relaying--;
    link.close();
  }

  private sweep(nowMs: number): void {
    const limit = nowMs - this.options.idleSeconds * 1000;
    // Least recently seen first: stop at the first fresh one.
    for (let slot = this.table.oldest(); slot >= 0 && this.lastSeen[slot]! <= limit; slot = this.table.oldest()) {
      this.closeSlot(slot);
      this.table.deleteSlot(slot);
    }
  }
}
