import { Meta, META_WORDS, metaArray, openSocket, type UdpBatchSocket } from '@flowshield/udp-batch';

/** Datagrams held per client while its origin socket is still opening. */
const MAX_PENDING = 64;
/** Origin replies taken per receive call: one slot each, the largest UDP payload over IPv4 fits. */
const REPLY_SLOTS = 32;
const REPLY_SLOT_BYTES = 2048;

/**
 * The origin side of the relay: one connected udp-batch socket per client session, opened once
 * on its first passed packet (connected, so sends need no address and only the origin's replies
 * arrive, never spoofed ones). All the table's origin sockets receive into one shared region: a
 * receive and the reply callback run synchronously, so the slots are free again after it.
 */
export class OriginLinks<S> {
  private readonly region = { memory: new ArrayBuffer(REPLY_SLOTS * REPLY_SLOT_BYTES), offset: 0, stride: REPLY_SLOT_BYTES, count: REPLY_SLOTS };
  private readonly bytes = new Uint8Array(this.region.memory);
  private readonly meta = metaArray(REPLY_SLOTS);
  /** the one-record send batch, reused for every relayed datagram */
  readonly sendMeta = metaArray(1);
  /** origin sockets that could not be opened (e.g. out of file descriptors) */
  openErrors = 0;

  constructor(
    private readonly origin: { host: string; port: number },
    /** an origin reply: `data` is valid only during the call */
    private readonly onReply: (session: S, data: Uint8Array) => void,
  ) {}

  open(session: S): OriginLink<S> {
    return new OriginLink(this, session);
  }

  /** @internal */
  connect(): Promise<UdpBatchSocket> {
    const family = this.origin.host.includes(':') ? 'udp6' : 'udp4';
    return openSocket({ type: family, address: family === 'udp6' ? '::' : '0.0.0.0', connect: { address: this.origin.host, port: this.origin.port } });
  }

  /** @internal drains one batch of replies on a link's socket */
  drain(link: OriginLink<S>, socket: UdpBatchSocket): void {
    const n = socket.recv(this.region, this.meta);
    const meta = this.meta;
    for (let i = 0; i < n; i++) {
      const b = i * META_WORDS;
      const at = meta[b + Meta.OFFSET]!;
      // A reply cut to the slot is not worth relaying cut: the client would see a broken datagram.
      if (meta[b + Meta.DGRAM_LEN]! > meta[b + Meta.LENGTH]!) continue;
      this.onReply(link.session, this.bytes.subarray(at, at + meta[b + Meta.LENGTH]!));
    }
  }
}

/** One client's socket to the origin. */
export class OriginLink<S> {
  private socket: UdpBatchSocket | null = null;
  private closed = false;
  /** payloads passed while the socket was opening (copies: the receive slots are reused) */
  private pending: Uint8Array[] | null = [];

  constructor(private readonly links: OriginLinks<S>, readonly session: S) {
    links.connect().then((socket) => {
      if (this.closed) return socket.close();
      this.socket = socket;
      socket.onReadable(() => links.drain(this, socket));
      const held = this.pending!;
      this.pending = null;
      for (const payload of held) this.send(payload);
    }, () => {
      links.openErrors++;
      this.pending = null;
    });
  }

  /** Sends one payload to the origin; `payload` may be a view into reused memory (sent or copied now). */
  send(payload: Uint8Array): void {
    const socket = this.socket;
    if (socket) {
      const meta = this.links.sendMeta;
      meta[Meta.OFFSET] = 0;
      meta[Meta.LENGTH] = payload.length;
      // A full send buffer drops the datagram (the client retries), as a router would.
      socket.send(payload, meta, 0, 1);
    } else if (this.pending && this.pending.length < MAX_PENDING) {
      this.pending.push(payload.slice());
    }
  }

  close(): void {
    this.closed = true;
    this.pending = null;
    this.socket?.close();
    this.socket = null;
  }
}
