import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { TOKEN_MAGIC, answerSize, decodeAnswer, isAnswerPacket, isHelloPacket, packetMagic } from '@flowshield/proto';
import type { BatchPacket, PacketMeta, RunEffects } from '@flowshield/vm';
import type { ServiceConfig } from './config.js';
import { EdgeError, EdgeErrorCode } from './errors.js';
import { address16, writePacket, type Address16 } from './packet-view.js';
import { SessionTable, type ClientSession } from './sessions.js';
import type { TenantRuntime } from './tenant-runtime.js';
import type { RateLimitedLog } from './rate-limited-log.js';

const STATUS_VERIFIED = 2;

/** The largest IP packet the program types accept; bigger datagrams are counted and dropped. */
const MAX_PROGRAM_PACKET = 1500;

/**
 * One protected service: a UDP socket clients send to, the tenant's program deciding each
 * datagram, and per-client sessions relaying passed packets to the origin and its replies back.
 * The packet path reads top to bottom and never awaits:
 *   receive → session → packet view → program → challenge/reply → relay or drop.
 */
export class ProtectedService {
  private socket: Socket | null = null;
  private local: Address16 | null = null;
  private localPort = 0;
  private publicPort = 0;
  readonly sessions: SessionTable;
  /** one packet buffer per slot of a batch, reused from batch to batch */
  private readonly scratch: Uint8Array[] = [];
  private queue: { data: Buffer; rinfo: RemoteInfo }[] = [];
  private readonly packets: BatchPacket[] = [];
  private readonly accepted: { data: Buffer; rinfo: RemoteInfo; session: ClientSession }[] = [];
  private flushScheduled = false;
  readonly malformed = new Map<string, number>();

  constructor(
    readonly config: ServiceConfig,
    readonly runtime: TenantRuntime,
    private readonly log: RateLimitedLog,
  ) {
    this.sessions = new SessionTable({
      max: config.sessions.max,
      maxBytes: config.memory.sessionsBytes,
      idleSeconds: config.sessions.idleSeconds,
      origin: config.origin,
      onReply: (session, data) => this.socket?.send(data, session.port, session.address),
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

  async start(): Promise<void> {
    const family = this.config.listen.host.includes(':') ? 'udp6' : 'udp4';
    const socket = createSocket({ type: family, recvBufferSize: 8 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new EdgeError(EdgeErrorCode.BIND, `cannot listen on ${this.config.listen.host}:${this.config.listen.port} for ${this.config.tenant}: ${err.message}`, { cause: err })));
      socket.bind(this.config.listen.port, this.config.listen.host, () => resolve());
    });
    socket.on('error', (err) => this.log.warn('socket', { tenant: this.config.tenant, err: err.message }, 'socket error'));
    socket.on('message', (data, rinfo) => this.receive(data, rinfo));
    this.socket = socket;
    this.localPort = socket.address().port;
    const visible = this.publicAddress;
    this.local = address16(visible.host === 'localhost' ? '127.0.0.1' : visible.host);
    this.publicPort = visible.port;
  }

  async stop(): Promise<void> {
    this.sessions.close();
    const socket = this.socket;
    this.socket = null;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  /**
   * Datagrams that arrive in one poll of the event loop are handled together, after it: the
   * batch the issue asks for (one program swap can never split it).
   */
  private receive(data: Buffer, rinfo: RemoteInfo): void {
    this.queue.push({ data, rinfo });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.flushScheduled = false;
    const nowMs = Date.now();
    const runtime = this.runtime;
    const packets = this.packets;
    const accepted = this.accepted;
    packets.length = 0;
    accepted.length = 0;
    for (const { data, rinfo } of batch) {
      const session = this.admit(data, rinfo, nowMs);
      if (!session) continue;
      if (packetMagic(data) === TOKEN_MAGIC) {
        this.acceptToken(session, rinfo, data, nowMs);
        continue;
      }
      const slot = accepted.length;
      const scratch = this.scratch[slot] ?? (this.scratch[slot] = new Uint8Array(MAX_PROGRAM_PACKET + 48));
      packets.push({ ip: writePacket(scratch, session.ip, rinfo.port, this.local!, this.publicPort, data), meta: this.metaOf(session, rinfo, data) });
      accepted.push({ data, rinfo, session });
    }
    if (packets.length === 0) return;
    const { verdicts, effects, shed } = runtime.runBatch(packets, nowMs / 1000);
    if (shed) this.log.warn(`shed:${this.config.tenant}`, { tenant: this.config.tenant, packets: packets.length }, 'tenant over its program CPU share: its packets take the fail verdict without running');
    for (let i = 0; i < accepted.length; i++) this.act(accepted[i]!, verdicts[i]!, effects[i] ?? null);
  }

  private countMalformed(reason: string, rinfo: RemoteInfo, detail: string): void {
    this.malformed.set(reason, (this.malformed.get(reason) ?? 0) + 1);
    this.log.warn(`malformed:${reason}`, { tenant: this.config.tenant, source: rinfo.address, reason, detail }, 'datagram rejected');
  }

  /** The datagram's session, or null when it cannot be given to the program (counted as dropped). */
  private admit(data: Buffer, rinfo: RemoteInfo, nowMs: number): ClientSession | null {
    const session = this.sessions.get(rinfo.address, rinfo.port, nowMs);
    const local = this.local!;
    let problem: string | null = null;
    if (session.ip.v4 !== local.v4) problem = 'family';
    // A program sees at most 1500 bytes of packet (the PFP context): larger datagrams are dropped.
    else if (data.length + (local.v4 ? 28 : 48) > MAX_PROGRAM_PACKET) problem = 'oversize';
    if (!problem) return session;
    this.countMalformed(problem, rinfo, problem === 'family' ? 'source and service address families differ' : `${data.length} bytes`);
    this.runtime.stats.packets.drop++;
    this.runtime.stats.bytes.drop += data.length;
    return null;
  }

  /**
   * A verified token (issued by the challenge service to a client verified elsewhere, or to a
   * player a matchmaker vouches for) makes its source VERIFIED until the token expires, without a
   * puzzle. It is checked with public keys only, bound to this source and service, and never
   * forwarded; a bad token changes nothing and is counted.
   */
  private acceptToken(session: ClientSession, rinfo: RemoteInfo, data: Buffer, nowMs: number): void {
    const stats = this.runtime.stats;
    const host = this.runtime.host;
    const outcome = host.tokens.verify(data, { address: session.ip.bytes, port: rinfo.port }, { address: this.local!.bytes, port: this.publicPort });
    stats.packets.drop++;
    stats.bytes.drop += data.length;
    if (!outcome.ok) {
      stats.tokens.rejected++;
      this.log.warn('token', { tenant: this.config.tenant, source: rinfo.address, reason: outcome.reason }, 'token rejected');
      return;
    }
    stats.tokens.accepted++;
    host.state.setStatus(session.ip.bytes, { status: STATUS_VERIFIED, expiry: outcome.token.expiresAt }, nowMs / 1000);
  }

  private metaOf(session: ClientSession, rinfo: RemoteInfo, data: Buffer): PacketMeta {
    const local = this.local!;
    return { srcIp: session.ip.bytes, dstIp: local.bytes, srcPort: rinfo.port, dstPort: this.publicPort, ipVersion: local.v4 ? 4 : 6, payload: data };
  }

  private act(packet: { data: Buffer; rinfo: RemoteInfo; session: ClientSession }, verdict: 'pass' | 'drop', effects: RunEffects | null): void {
    const { data, rinfo, session } = packet;
    const stats = this.runtime.stats;
    if (effects?.challenge) {
      this.socket!.send(effects.challenge, rinfo.port, rinfo.address);
      stats.challengesSent++;
    }
    if (effects?.reply) {
      this.socket!.send(effects.reply, rinfo.port, rinfo.address);
      stats.repliesSent++;
    }
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

  /**
   * What reaches the origin: never a hello (it only pads the first packet) and never an answer's
   * header; a verified answer's embedded game payload goes on, so the client loses no packet.
   */
  private relay(session: ClientSession, data: Buffer, answer: boolean, verifiedNow: boolean): void {
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
