import { OriginLinks, type OriginLink } from './origin-link.js';
import { address16, type Address16 } from './packet-view.js';

const TOUCH_INTERVAL_MS = 1000;

/** A client of one protected service, as this edge sees it. */
export class ClientSession {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly ip: Address16;
  lastSeen = 0;
  /** the socket that talks to the origin for this client; opened on the first passed packet */
  origin: OriginLink<ClientSession> | null = null;

  constructor(key: string, address: string, port: number) {
    this.key = key;
    this.address = address;
    this.port = port;
    this.ip = address16(address);
  }
}

export interface SessionTableOptions {
  max: number;
  idleSeconds: number;
  origin: { host: string; port: number };
  /** an origin reply for the session's client */
  onReply: (session: ClientSession, data: Uint8Array) => void;
  onClose?: (session: ClientSession) => void;
}

/**
 * Clients by address and port, bounded in number (least recently seen evicted first) and closed
 * when idle. A client gets an origin socket only when one of its packets passes, so a flood of
 * spoofed sources costs a table entry each, never a socket.
 */
export class SessionTable {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly sweeper: NodeJS.Timeout;
  relayed = 0;
  private readonly links: OriginLinks<ClientSession>;

  constructor(private readonly options: SessionTableOptions) {
    this.links = new OriginLinks(options.origin, (session, data) => {
      session.lastSeen = Date.now();
      this.relayed++;
      this.options.onReply(session, data);
    });
    this.sweeper = setInterval(() => this.sweep(Date.now()), Math.min(5_000, options.idleSeconds * 500));
    this.sweeper.unref();
  }

  /** The session of this source, touched as most recently seen. */
  get(address: string, port: number, nowMs: number): ClientSession {
    const key = `${address}|${port}`;
    let session = this.sessions.get(key);
    if (session) {
      // Re-inserting moves it to the young end; once a second is enough for idle eviction and
      // spares the Map a delete and an insert on every packet.
      if (nowMs - session.lastSeen < TOUCH_INTERVAL_MS) return session;
      this.sessions.delete(key);
    } else {
      session = new ClientSession(key, address, port);
      if (this.sessions.size >= this.options.max) this.evictOldest();
    }
    session.lastSeen = nowMs;
    this.sessions.set(key, session);
    return session;
  }

  /** Sends a passed payload to the origin on the client's own socket. */
  forward(session: ClientSession, payload: Uint8Array): void {
    (session.origin ??= this.links.open(session)).send(payload);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** sessions that currently hold an origin socket */
  get relaying(): number {
    let n = 0;
    for (const s of this.sessions.values()) if (s.origin) n++;
    return n;
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const session of this.sessions.values()) this.closeSession(session);
    this.sessions.clear();
  }

  private closeSession(session: ClientSession): void {
    session.origin?.close();
    session.origin = null;
    this.options.onClose?.(session);
  }

  private evictOldest(): void {
    const oldest = this.sessions.values().next().value as ClientSession | undefined;
    if (!oldest) return;
    this.sessions.delete(oldest.key);
    this.closeSession(oldest);
  }

  private sweep(nowMs: number): void {
    const limit = nowMs - this.options.idleSeconds * 1000;
    for (const session of this.sessions.values()) {
      // Map order is least recently seen first: stop at the first fresh one.
      if (session.lastSeen > limit) break;
      this.sessions.delete(session.key);
      this.closeSession(session);
    }
  }
}
