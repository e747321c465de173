import { bytes16ToIp } from '@flowshield/proto';
import { LruTable } from '@flowshield/vm';
import { OriginLinks, type OriginLink } from './origin-link.js';
import { address16, type Address16 } from './packet-view.js';
import { DEFAULT_MEMORY } from './config.js';

/** key: the client's IP (16 bytes, IPv4 mapped) and port (2, big-endian) */
const KEY_BYTES = 18;
/** per relaying session besides the key: last seen (8), generation (4), origin link reference (8) */
const VALUE_BYTES = 20;
/** per contact besides the key: last seen (8) */
const CONTACT_VALUE_BYTES = 8;
/** per client address with relaying sessions: the address, and how many it holds (4) */
const ADDRESS_KEY_BYTES = 16;
const ADDRESS_VALUE_BYTES = 4;

/**
 * A client of one protected service, as this edge sees it: a handle on its table slot, made per
 * datagram (the tables hold bytes, not objects). `slot` is its relaying session's, or -1 while
 * none of its packets has passed (a contact); `generation` tells a handle whose slot was since
 * given to another client (evicted) from a live one.
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

/** Relaying sessions in `bytes`, their per-address counts (an entry per session at most) included. */
function relayingCapacity(bytes: number): number {
  const total = (c: number) => LruTable.bytesFor(c, KEY_BYTES, VALUE_BYTES) + LruTable.bytesFor(c, ADDRESS_KEY_BYTES, ADDRESS_VALUE_BYTES);
  let c = LruTable.capacityFor(bytes, KEY_BYTES, VALUE_BYTES + ADDRESS_KEY_BYTES + ADDRESS_VALUE_BYTES);
  while (c > 1 && total(c) > bytes) c = Math.floor(c * 0.95);
  return c;
}

export interface SessionTableOptions {
  /** the byte budget the capacities are derived from, half each table (default: DEFAULT_MEMORY.sessionsBytes) */
  maxBytes?: number;
  /** an optional cap in entries per table, below what the bytes allow */
  max?: number | null;
  /** relaying sessions one address may hold (default: no cap) */
  maxPerAddress?: number;
  idleSeconds: number;
  origin: { host: string; port: number };
  /** an origin reply for the session's client (`data` valid only during the call) */
  onReply: (session: ClientSession, data: Uint8Array) => void;
}

/**
 * Clients by address and port, in two LruTables of half the byte budget each, closed when idle:
 * - relaying sessions: a client one of whose packets passed, with its origin socket;
 * - contacts: every other source seen (what "known" means under pressure), with no socket.
 * A source moves from the contacts to the relaying sessions with its first passed packet. A flood
 * of spoofed sources never passes, so it only churns the contacts: it costs a contact entry each
 * (SessionTable.bytesPerEntry), never a socket or an object, and it cannot evict the session of
 * a player who went quiet for a while (whose next packet would leave on a new origin port, a new
 * client to the game server).
 */
export class SessionTable {
  readonly relayingTable: LruTable;
  readonly contacts: LruTable;
  private readonly lastSeen: Float64Array;
  private readonly contactSeen: Float64Array;
  private readonly generation: Uint32Array;
  /** a relaying session's origin socket, by slot */
  private readonly origins: (OriginLink<ClientSession> | undefined)[];
  private readonly links: OriginLinks<ClientSession>;
  private readonly key = new Uint8Array(KEY_BYTES);
  /** relaying sessions per client address (an entry per address that has one, so never full) */
  private readonly addresses: LruTable;
  private readonly perAddress: Uint32Array;
  private readonly maxPerAddress: number;
  private readonly sweeper: NodeJS.Timeout;
  relayed = 0;
  /** passed packets not relayed: their address already held `maxPerAddress` sessions */
  refusedPerAddress = 0;
  /** sessions that currently hold an origin socket */
  relaying = 0;

  /** Bytes one relaying session takes in its table at `capacity` (about 60). */
  static bytesPerEntry(capacity: number): number {
    return LruTable.bytesFor(capacity, KEY_BYTES, VALUE_BYTES) / capacity;
  }

  constructor(private readonly options: SessionTableOptions) {
    const half = Math.floor((options.maxBytes ?? DEFAULT_MEMORY.sessionsBytes) / 2);
    const cap = (n: number) => (options.max != null ? Math.min(n, options.max) : n);
    const capacity = cap(relayingCapacity(half));
    this.relayingTable = new LruTable({ keyBytes: KEY_BYTES, valueBytes: VALUE_BYTES, capacity, onEvict: (slot) => this.closeSlot(slot) });
    this.contacts = new LruTable({ keyBytes: KEY_BYTES, valueBytes: CONTACT_VALUE_BYTES, capacity: cap(LruTable.capacityFor(half, KEY_BYTES, CONTACT_VALUE_BYTES)) });
    this.lastSeen = new Float64Array(capacity);
    this.contactSeen = new Float64Array(this.contacts.capacity);
    this.generation = new Uint32Array(capacity);
    this.addresses = new LruTable({ keyBytes: ADDRESS_KEY_BYTES, valueBytes: ADDRESS_VALUE_BYTES, capacity });
    this.perAddress = new Uint32Array(capacity);
    this.maxPerAddress = options.maxPerAddress ?? Number.POSITIVE_INFINITY;
    this.origins = new Array<OriginLink<ClientSession> | undefined>(capacity);
    this.links = new OriginLinks(options.origin, (session, data) => {
      if (this.generation[session.slot] !== session.generation) return; // closed with its session
      this.lastSeen[session.slot] = Date.now();
      this.relayingTable.touch(session.slot);
      this.relayed++;
      this.options.onReply(session, data);
    });
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(5_000, options.idleSeconds * 500));
    this.sweeper.unref();
  }

  /** Relaying sessions this table holds at most (contacts have a table of their own). */
  get capacity(): number {
    return this.relayingTable.capacity;
  }

  /** The bytes of the tables. */
  get bytes(): number {
    return this.relayingTable.bytes + this.contacts.bytes + this.addresses.bytes;
  }

  /** Whether this source (16 bytes, IPv4 mapped) and port was seen (a session or a contact); nothing is added or touched. */
  has(source: Uint8Array, port: number): boolean {
    const key = this.keyOf(source, port);
    return this.relayingTable.find(key) >= 0 || this.contacts.find(key) >= 0;
  }

  /**
   * The session of this source (16 bytes, IPv4 mapped, as the socket reports it — or text),
   * touched as most recently seen; a contact when none of its packets has passed yet. The bytes
   * are copied: the caller's may be a view of a reused buffer.
   */
  get(source: Uint8Array | string, port: number, nowMs: number): ClientSession {
    const ip: Address16 = typeof source === 'string' ? address16(source) : { bytes: source.slice(), v4: isV4Mapped(source) };
    const key = this.keyOf(ip.bytes, port);
    const slot = this.relayingTable.get(key);
    if (slot >= 0) {
      this.lastSeen[slot] = nowMs;
      return new ClientSession(ip, port, slot, this.generation[slot]!);
    }
    let contact = this.contacts.get(key);
    if (contact < 0) contact = this.contacts.add(key);
    this.contactSeen[contact] = nowMs;
    return new ClientSession(ip, port, -1, 0);
  }

  /** Sends a passed payload to the origin on the client's own socket, which its first passed packet opens. */
  forward(session: ClientSession, payload: Uint8Array): void {
    // A contact passing for the first time, or a session evicted since its datagram arrived: admit it.
    if (session.slot < 0 || this.generation[session.slot] !== session.generation) {
      const admitted = this.admit(session);
      if (!admitted) {
        this.refusedPerAddress++;
        return;
      }
      session = admitted;
    }
    let link = this.origins[session.slot];
    if (!link) {
      link = this.origins[session.slot] = this.links.open(session);
      this.relaying++;
    }
    link.send(payload);
  }

  /** Sessions and contacts held. */
  get size(): number {
    return this.relayingTable.size + this.contacts.size;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const slot of this.relayingTable.slots()) this.closeSlot(slot);
    this.relayingTable.clear();
    this.contacts.clear();
    this.addresses.clear();
  }

  /** The client's relaying session, made now (leaving the contacts) when it has none; null when its address holds its most. */
  private admit(session: ClientSession): ClientSession | null {
    const key = this.keyOf(session.ip.bytes, session.port);
    let slot = this.relayingTable.get(key);
    if (slot < 0) {
      let a = this.addresses.find(session.ip.bytes);
      if (a >= 0 && this.perAddress[a]! >= this.maxPerAddress) return null;
      const known = this.contacts.find(key);
      if (known >= 0) this.contacts.deleteSlot(known);
      // Added before the address is counted: the insert may evict (and uncount) another session.
      slot = this.relayingTable.add(key);
      a = this.addresses.find(session.ip.bytes);
      if (a < 0) {
        a = this.addresses.add(session.ip.bytes);
        this.perAddress[a] = 0;
      }
      this.perAddress[a]!++;
    }
    this.lastSeen[slot] = Date.now();
    return new ClientSession(session.ip, session.port, slot, this.generation[slot]!);
  }

  private keyOf(source: Uint8Array, port: number): Uint8Array {
    const key = this.key;
    key.set(source, 0);
    key[16] = port >>> 8;
    key[17] = port & 0xff;
    return key;
  }

  /** Ends the session in `slot` (evicted, idle or closing): its origin socket closes, its handles go stale. */
  private closeSlot(slot: number): void {
    this.generation[slot] = (this.generation[slot]! + 1) >>> 0;
    const a = this.addresses.find(this.relayingTable.keyAt(slot).subarray(0, 16));
    if (a >= 0 && --this.perAddress[a]! === 0) this.addresses.deleteSlot(a);
    const link = this.origins[slot];
    if (!link) return;
    this.origins[slot] = undefined;
    this.relaying--;
    link.close();
  }

  private sweep(nowMs: number): void {
    const limit = nowMs - this.options.idleSeconds * 1000;
    // Least recently seen first: stop at the first fresh one.
    for (let slot = this.relayingTable.oldest(); slot >= 0 && this.lastSeen[slot]! <= limit; slot = this.relayingTable.oldest()) {
      this.closeSlot(slot);
      this.relayingTable.deleteSlot(slot);
    }
    for (let slot = this.contacts.oldest(); slot >= 0 && this.contactSeen[slot]! <= limit; slot = this.contacts.oldest()) {
      this.contacts.deleteSlot(slot);
    }
  }
}
