import { TOKEN_MAGIC, answerSize, bytes16ToIp, decodeAnswer, isAnswerPacket, isHelloPacket, packetMagic } from '@flowshield/proto';
import { Meta, META_WORDS, Outbox, metaAddress, metaArray, openSocket, selected, type UdpBatchSocket } from '@flowshield/udp-batch';
import type { BatchPacket, PacketMeta, RunEffects } from '@flowshield/vm';
import type { ServiceConfig } from './config.js';
import { EdgeError, EdgeErrorCode } from './errors.js';
import { address16, headerLength, writeHeaders, type Address16 } from './packet-view.js';
import { SessionTable, type ClientSession } from './sessions.js';
import type { TenantRuntime } from './tenant-runtime.js';
import type { TenantRules } from './tenant-rules.js';
import { FirewallStep } from '@flowshield/rules';
import type { RateLimitedLog } from '@flowshield/service-log';
import { VerifiedSteering } from './verified-steering.js';

const STATUS_VERIFIED = 2;

/** The largest IP packet the program types accept; bigger datagrams are counted and dropped. */
const MAX_PROGRAM_PACKET = 1500;
/** Datagrams one receive call takes (one recvmmsg), and so the most one program batch holds. */
const BATCH = 64;
/** Room in front of each slot for the synthetic IP + UDP header (IPv6: 40 + 8). */
const HEADROOM = 48;
/** Bytes per slot, header room included. */
const STRIDE = 2048;
/**
 * Payload room per slot. Longer datagrams arrive cut and are counted `truncated`; those that fit
 * but exceed what a program may see (1500 bytes of IP packet) are counted `oversize`.
 */
const SLOT_PAYLOAD = STRIDE - HEADROOM;
/** Batches one readiness call takes before yielding to the loop's other sockets and timers. */
const BATCHES_PER_WAKE = 4;
/**
 * Under pressure (the shared queue held more than a wake takes), datagrams of sources with no
 * session are admitted to the program at most this many per batch; the rest are dropped before
 * any table entry or program run (verdict `overload`), so the queue drains and what the edge
 * already knows is not pushed out by sources seen once.
 */
const NEW_SOURCES_UNDER_PRESSURE = 8;

/** Why a datagram was dropped before the program: `fs_edge_malformed_total{reason}`. */
export const MALFORMED_REASONS = ['empty', 'truncated', 'oversize', 'family'] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

function malformedDetail(reason: MalformedReason, meta: Uint32Array, i: number): string {
  if (reason === 'family') return 'source and service address families differ';
  return `${meta[i * META_WORDS + (reason === 'truncated' ? Meta.DGRAM_LEN : Meta.LENGTH)]} bytes`;
}

/** One datagram of the current batch that goes to the program; the objects are reused. */
interface Slot {
  data: Uint8Array;
  port: number;
  session: ClientSession;
  packet: BatchPacket & { meta: PacketMeta };
}

/**
 * One protected service: a UDP socket clients send to, the tenant's program deciding each
 * datagram, and per-client sessions relaying passed packets to the origin and its replies back.
 * The packet path reads top to bottom and never awaits:
 *   receive a batch (one recvmmsg into `memory`) → malformed? → packet view (headers written in
 *   the slot's headroom, no copy) → firewall (libs/rules Firewall, the step `flowshield test`
 *   runs: block drops, allow relays, both without the program) → session → program (one
 *   runBatch) → challenges and replies into the outbox → relay or drop → one sendmmsg for the
 *   batch's challenges and replies.
 */
export class ProtectedService {
  private socket: UdpBatchSocket | null = null;
  /** with steering: the socket verified sources are steered to, drained first */
  private knownSocket: UdpBatchSocket | null = null;
  steering: VerifiedSteering | null = null;
  private outbox: Outbox | null = null;
  private local: Address16 | null = null;
  private localPort = 0;
  private publicPort = 0;
  readonly sessions: SessionTable;
  /** the receive slots: slot i's payload at HEADROOM + i * STRIDE, its header just before */
  private readonly memory = new ArrayBuffer(BATCH * STRIDE);
  private readonly bytes = new Uint8Array(this.memory);
  private readonly region = { memory: this.memory, offset: HEADROOM, stride: STRIDE, slotSize: SLOT_PAYLOAD, count: BATCH };
  private readonly meta = metaArray(BATCH);
  private readonly slots: Slot[] = [];
  private readonly packets: BatchPacket[] = [];
  /** the current datagram's source as the header writer takes it (reused: no object per packet) */
  private readonly source: Address16 = { bytes: new Uint8Array(16), v4: true };
  private replyFlushScheduled = false;
  readonly malformed = new Map<MalformedReason, number>();
  /** the shared queue was left non-empty by the last wake: new sources are rationed */
  private pressure = false;
  /** datagrams of new sources dropped under pressure: `fs_edge_packets_total{verdict="overload"}` */
  overloadDropped = 0;

  constructor(
    readonly config: ServiceConfig,
    readonly runtime: TenantRuntime,
    readonly rules: TenantRules,
    private readonly log: RateLimitedLog,
  ) {
    this.sessions = new SessionTable({
      max: config.sessions.max,
      maxBytes: config.memory.sessionsBytes,
      idleSeconds: config.sessions.idleSeconds,
      maxPerAddress: config.sessions.maxPerAddress,
      origin: config.origin,
      onReply: (session, data) => this.queueReply(session, data),
    });
  }

  /** Where this edge listens (resolved after start, for port 0). */
  get address(): { host: string; port: number } {
    return { host: this.config.listen.host, port: this.localPort };
  }

  /** The destination as programs see it: the configured public address, else the listen address. */
  get publicAddress(): { host: string; port: number } {
    return { host: this.config.public.host ?? this.config.listen.host, port: this.config.public.port ?? this.localPort };
  }

  /** 'native' (recvmmsg/sendmmsg) or 'dgram' (the twin), once started. */
  get implementation(): string | null {
    return this.socket?.implementation ?? this.adoptedImplementation;
  }

  /** The listen socket's counters (kernel receive drops, send errors), once started; with steering, both sockets'. */
  socketStats() {
    const main = this.socket?.stats() ?? null;
    const known = this.knownSocket?.stats();
    if (!main || !known) return main;
    return { ...main, received: main.received + known.received, dropped: main.dropped + known.dropped, truncated: main.truncated + known.truncated };
  }

  /** Datagrams read from the verified sources' socket (steering), since start. */
  get steeredReceived(): number {
    return this.knownSocket?.stats().received ?? 0;
  }

  /** Challenges and replies the send buffer would not take (dropped, as a router drops). */
  get sendDropped(): number {
    return this.outbox?.dropped ?? 0;
  }

  /** Bytes this service's per-source tables take (0 for a stand-in: the workers' tables count). */
  tableBytes(): number {
    if (!this.socket) return 0;
    const state = this.runtime.host.state;
    return this.sessions.bytes + state.overlay.table.bytes + state.firstContacts.table.bytes + state.ipData.table.bytes + state.flowData.table.bytes;
  }

  /** Datagrams dropped before the program: `fs_edge_packets_total{verdict="malformed"}`. */
  get malformedTotal(): number {
    let n = 0;
    for (const v of this.malformed.values()) n += v;
    return n;
  }

  /**
   * Binds and starts reading. `reusePort` (packet workers): the socket joins the port's group, the
   * kernel spreads sources over the group; `port` overrides the configured one (the port worker 0
   * got for a configured 0). `steering`: a second socket for verified sources; `worker`: this
   * thread's place among `count` packet workers binding in index order (default: the only one).
   */
  async start(options: { reusePort?: boolean; port?: number; steering?: boolean; worker?: { index: number; count: number } } = {}): Promise<void> {
    const family = this.config.listen.host.includes(':') ? 'udp6' : 'udp4';
    const host = this.config.listen.host === 'localhost' ? '127.0.0.1' : this.config.listen.host;
    const worker = options.worker ?? { index: 0, count: 1 };
    // Steering needs the addon and IPv4 (the CBPF program reads the IPv4 source). Each worker binds
    // a pair on the port, its shared socket then its verified sources' (group indexes 2w and
    // 2w + 1, as the workers bind one after another); worker 0 attaches the one program that spreads
    // sources over the workers' pairs by address and sends verified ones to their worker's second socket.
    const steer = options.steering === true && selected.capabilities.steering && family === 'udp4';
    let socket: UdpBatchSocket;
    try {
      socket = await openSocket({ type: family, address: host, port: options.port ?? this.config.listen.port, reusePort: (options.reusePort ?? false) || steer, recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
      if (steer) {
        try {
          this.knownSocket = await openSocket({ type: family, address: host, port: socket.address().port, reusePort: true, recvBufferSize: 8 << 20, sendBufferSize: 1 << 20 });
          if (worker.index === 0) this.steering = new VerifiedSteering(socket, { knownIndex: 1, otherIndex: 0, workers: worker.count });
        } catch (err) {
          socket.close();
          throw err;
        }
      }
    } catch (err) {
      throw new EdgeError(EdgeErrorCode.BIND, `cannot listen on ${this.config.listen.host}:${this.config.listen.port} for ${this.config.tenant}: ${(err as Error).message}`, { cause: err });
    }
    this.socket = socket;
    this.outbox = new Outbox(socket, { records: 256, bytes: 256 << 10 });
    this.localPort = socket.address().port;
    const visible = this.publicAddress;
    this.local = address16(visible.host === 'localhost' ? '127.0.0.1' : visible.host);
    this.publicPort = visible.port;
    const known = this.knownSocket;
    if (known) {
      known.onReadable(() => this.drain(known));
      // The shared queue waits for the verified sources' queue: drained first, every time.
      socket.onReadable(() => {
        this.drain(known);
        this.drain(socket);
      });
    } else {
      socket.onReadable(() => this.drain(socket));
    }
  }

  /**
   * The main thread's stand-in while packet workers own the sockets: it knows the port they
   * listen on (for the control plane's difficulty keys and the log) but reads nothing.
   */
  adopt(port: number, implementation: string): void {
    this.localPort = port;
    this.adoptedImplementation = implementation;
    const visible = this.publicAddress;
    this.local = address16(visible.host === 'localhost' ? '127.0.0.1' : visible.host);
    this.publicPort = visible.port;
  }

  private adoptedImplementation: string | null = null;
  /** with packet workers: their totals, summed by the pool (this stand-in runs no packets) */
  workerLoad: { drop: number; rejected: number } | null = null;

  /** What the load reports count: dropped packets and rejected answers since start. */
  loadCounters(): { drop: number; rejected: number } {
    if (this.workerLoad) return { ...this.workerLoad };
    return { drop: this.runtime.stats.packets.drop, rejected: this.runtime.host.rejections.total };
  }

  async stop(): Promise<void> {
    this.sessions.close();
    const socket = this.socket;
    this.socket = null;
    this.outbox = null;
    this.steering?.close();
    for (const s of [this.knownSocket, socket]) {
      s?.onReadable(null);
      s?.close();
    }
    this.knownSocket = null;
  }

  /**
   * Readiness: take up to a few batches, then yield (the poll is level-triggered, so what is left
   * comes on the next turn of the loop). A program swap happens between two calls, never inside
   * a batch.
   */
  private drain(socket: UdpBatchSocket): void {
    // The verified sources' socket is never rationed; the shared one is while its queue stays deep.
    const shared = socket === this.socket;
    for (let k = 0; k < BATCHES_PER_WAKE && !socket.closed && this.socket !== null; k++) {
      const n = socket.recv(this.region, this.meta);
      if (n < BATCH && shared) this.pressure = false;
      if (n === 0) return;
      this.handle(n, shared && this.pressure);
      if (n < BATCH) return;
    }
    if (shared) this.pressure = true;
  }

  private handle(n: number, ration: boolean): void {
    const nowMs = Date.now();
    const meta = this.meta;
    const bytes = this.bytes;
    const local = this.local!;
    const header = headerLength(local.v4);
    const packets = this.packets;
    const firewall = this.rules.firewall;
    const stats = this.runtime.stats;
    this.source.v4 = local.v4;
    packets.length = 0;
    let admit = NEW_SOURCES_UNDER_PRESSURE;
    for (let i = 0; i < n; i++) {
      const b = i * META_WORDS;
      const at = meta[b + Meta.OFFSET]!;
      const length = meta[b + Meta.LENGTH]!;
      const port = meta[b + Meta.PORT]!;
      // Rejected before a session exists: a flood of bad datagrams costs no table entry.
      if (meta[b + Meta.DGRAM_LEN]! > length) { this.reject('truncated', meta, i); continue; }
      if (length === 0) { this.reject('empty', meta, i); continue; }
      // IPv4-mapped source: ::ffff:a.b.c.d, words 4..6 little-endian.
      const v4 = meta[b + Meta.ADDRESS] === 0 && meta[b + Meta.ADDRESS + 1] === 0 && meta[b + Meta.ADDRESS + 2] === 0xffff0000;
      if (v4 !== local.v4) { this.reject('family', meta, i); continue; }
      // A program sees at most 1500 bytes of packet (the PFP context): larger datagrams are dropped.
      if (length + header > MAX_PROGRAM_PACKET) { this.reject('oversize', meta, i); continue; }
      const source = metaAddress(meta, i);
      if (ration && !this.sessions.has(source, port) && admit-- <= 0) { this.overloadDropped++; continue; }
      const data = bytes.subarray(at, at + length);
      // The firewall reads the packet the program would: headers written in the headroom. Before
      // the session, so a blocked flood costs no table entry.
      let ip: Uint8Array | null = null;
      let step: FirewallStep = FirewallStep.PROGRAM;
      if (firewall.rules !== null) {
        this.source.bytes = source;
        ip = writeHeaders(bytes, at, length, this.source, port, local, this.publicPort);
        step = firewall.step(bytes, at - header, length + header, header - 8);
        if (step === FirewallStep.DROP) {
          stats.packets.drop++;
          stats.bytes.drop += length;
          continue;
        }
      }
      const session = this.sessions.get(source, port, nowMs);
      if (step === FirewallStep.PASS) {
        stats.packets.pass++;
        stats.bytes.pass += length;
        this.relay(session, data, isAnswerPacket(data), false);
        continue;
      }
      if (packetMagic(data) === TOKEN_MAGIC) {
        this.acceptToken(session, port, data, nowMs);
        continue;
      }
      ip ??= writeHeaders(bytes, at, length, session.ip, port, local, this.publicPort);
      const slot = this.slotAt(packets.length);
      slot.data = data;
      slot.port = port;
      slot.session = session;
      slot.packet.ip = ip;
      const m = slot.packet.meta;
      m.srcIp = session.ip.bytes;
      m.srcPort = port;
      m.payload = data;
      packets.push(slot.packet);
    }
    if (packets.length > 0) {
      const { verdicts, effects, shed } = this.runtime.runBatch(packets, nowMs / 1000);
      if (shed) this.log.warn(`shed:${this.config.tenant}`, { tenant: this.config.tenant, packets: packets.length }, 'tenant over its program CPU share: its packets take the fail verdict without running');
      for (let i = 0; i < packets.length; i++) this.act(this.slots[i]!, verdicts[i]!, effects[i] ?? null);
    }
    this.outbox!.flush();
  }

  private slotAt(i: number): Slot {
    let slot = this.slots[i];
    if (!slot) {
      const local = this.local!;
      const meta: PacketMeta = { srcIp: local.bytes, dstIp: local.bytes, srcPort: 0, dstPort: this.publicPort, ipVersion: local.v4 ? 4 : 6, payload: new Uint8Array(0) };
      slot = this.slots[i] = { data: meta.payload, port: 0, session: null as unknown as ClientSession, packet: { ip: meta.payload, meta } };
    }
    return slot;
  }

  private reject(reason: MalformedReason, meta: Uint32Array, i: number): void {
    this.malformed.set(reason, (this.malformed.get(reason) ?? 0) + 1);
    // A flood of bad datagrams is the common case here: the log line's fields are made only when written.
    this.log.warn(`malformed:${reason}`, () => ({ tenant: this.config.tenant, source: bytes16ToIp(metaAddress(meta, i)), reason, detail: malformedDetail(reason, meta, i) }), 'datagram rejected');
  }

  /** A challenge or reply for the client, sent with the batch's others in one call. */
  private queue(data: Uint8Array, session: ClientSession, port: number): void {
    const outbox = this.outbox;
    if (!outbox) return;
    if (!outbox.push(data, session.ip.bytes, port)) {
      outbox.flush();
      outbox.push(data, session.ip.bytes, port);
    }
  }

  /** An origin reply: gathered with the others that arrive in this turn of the loop, sent in one call. */
  private queueReply(session: ClientSession, data: Uint8Array): void {
    this.queue(data, session, session.port);
    if (this.replyFlushScheduled) return;
    this.replyFlushScheduled = true;
    setImmediate(() => {
      this.replyFlushScheduled = false;
      this.outbox?.flush();
    });
  }

  /**
   * A verified token (issued by the challenge service to a client verified elsewhere, or to a
   * player a matchmaker vouches for) makes its source VERIFIED until the token expires, without a
   * puzzle. It is checked with public keys only, bound to this source and service, and never
   * forwarded; a bad token changes nothing and is counted.
   */
  private acceptToken(session: ClientSession, port: number, data: Uint8Array, nowMs: number): void {
    const stats = this.runtime.stats;
    const host = this.runtime.host;
    stats.packets.drop++;
    stats.bytes.drop += data.length;
    // Checked only within the limits: a signature costs ~0.1 ms, and anyone can send a forged token from any source.
    if (host.tokenLimiter.admit(session.ip.bytes, this.local!.bytes, nowMs) !== null) {
      stats.tokens.rateLimited++;
      return;
    }
    const outcome = host.tokens.verify(data, { address: session.ip.bytes, port }, { address: this.local!.bytes, port: this.publicPort });
    if (!outcome.ok) {
      stats.tokens.rejected++;
      this.log.warn('token', { tenant: this.config.tenant, source: session.address, reason: outcome.reason }, 'token rejected');
      return;
    }
    stats.tokens.accepted++;
    this.steering?.follow(session.ip.bytes, STATUS_VERIFIED);
    host.state.setStatus(session.ip.bytes, { status: STATUS_VERIFIED, expiry: outcome.token.expiresAt }, nowMs / 1000);
  }

  private act(slot: Slot, verdict: 'pass' | 'drop', effects: RunEffects | null): void {
    const { data, port, session } = slot;
    const stats = this.runtime.stats;
    if (effects?.challenge) {
      this.queue(effects.challenge, session, port);
      stats.challengesSent++;
    }
    if (effects?.reply) {
      this.queue(effects.reply, session, port);
      stats.repliesSent++;
    }
    if (effects && effects.tag !== null) this.countTag(effects.tag, session, verdict);
    const change = effects?.statusChange;
    if (change) this.steering?.follow(session.ip.bytes, change.to);
    const answer = isAnswerPacket(data);
    const verifiedNow = answer && effects?.statusChange?.to === STATUS_VERIFIED;
    // Rejected answers are counted where they are checked (EdgeHost.rejections), whatever the
    // program did with the result: most must not block anyone (flowshield.h FS_ANSWER_*).
    if (verifiedNow) stats.answersAccepted++;
    stats.packets[verdict]++;
    stats.bytes[verdict] += data.length;
    if (verdict === 'drop' && !verifiedNow) return;
    this.relay(session, data, answer, verifiedNow);
  }

  /** A packet the program tagged for network analytics: counted per tag, and a sampled log line (one per tenant per log interval). */
  private countTag(tag: bigint, session: ClientSession, verdict: 'pass' | 'drop'): void {
    const label = this.runtime.stats.analyticsTags.count(tag);
    const tenant = this.config.tenant;
    this.log.info(`analytics_tag:${tenant}`, () => ({ tenant, tag: tag.toString(), label, source: session.address, verdict }), 'analytics tag (sampled)');
  }

  /**
   * What reaches the origin: never a hello (it only pads the first packet) and never an answer's
   * header; a verified answer's embedded game payload goes on, so the client loses no packet.
   */
  private relay(session: ClientSession, data: Uint8Array, answer: boolean, verifiedNow: boolean): void {
    if (isHelloPacket(data)) return;
    if (answer) {
      const fields = verifiedNow ? decodeAnswer(data) : null;
      const offset = fields && typeof fields !== 'string' ? answerSize(fields.subPuzzles) : data.length;
      if (offset < data.length) this.sessions.forward(session, data.subarray(offset));
      return;
    }
    this.sessions.forward(session, data);
  }
}
