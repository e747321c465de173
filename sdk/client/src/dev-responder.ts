import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TOKEN_MAGIC, endpoint, isAnswerPacket, isHelloPacket, packetMagic, type Endpoint, type PublicKeyRecord } from '@flowshield/proto';
import { ChallengeLimiter, KeyRing, PuzzleEngine, TokenVerifier, type ChallengeLimiterOptions, type Difficulty } from '@flowshield/puzzle';

export interface DevResponderOptions {
  host?: string;
  port?: number;
  /** Work asked of new clients (default 10 bits in 4 sub-puzzles). */
  difficulty?: Difficulty;
  /** Called with each game payload from a verified client; default: echo it back prefixed "echo:". */
  onPacket?: (payload: Buffer, from: RemoteInfo, reply: (data: Uint8Array | string) => void) => void;
  limiter?: ChallengeLimiterOptions;
  /** Token public keys: a valid verified token as first packet lets the client in without a puzzle. */
  publicKeys?: PublicKeyRecord[];
}

export interface ResponderStats {
  challenges: number;
  verified: number;
  /** Clients admitted by a verified token. */
  tokens: number;
  rejected: Record<string, number>;
  refused: Record<string, number>;
  /** (trigger size, challenge size) of every challenge sent. */
  sizes: Array<[number, number]>;
}

/**
 * A small edge-like UDP responder for local development and the SDK's tests: challenges unknown
 * sources with the real engine (libs/puzzle), verifies answers, then passes game payloads to
 * `onPacket`. Not a protection: one process, one random key, no state sharing, no origin relay.
 */
export class DevResponder {
  readonly stats: ResponderStats = { challenges: 0, verified: 0, tokens: 0, rejected: {}, refused: {}, sizes: [] };
  /** Game payloads received from verified clients, in arrival order. */
  readonly received: Buffer[] = [];
  private readonly verified = new Set<string>();
  private readonly engine: PuzzleEngine;
  private readonly local: Endpoint;
  private readonly tokens: TokenVerifier;

  private constructor(private readonly socket: Socket, private readonly options: DevResponderOptions) {
    const ring = new KeyRing();
    const now = Math.floor(Date.now() / 1000);
    ring.upsert({ keyId: 1, notBefore: now - 60, notAfter: now + 86_400, acceptUntil: now + 86_400 + 60, key: crypto.getRandomValues(new Uint8Array(32)) });
    this.engine = new PuzzleEngine({ keyRing: ring, clock: Date.now, limiter: new ChallengeLimiter(options.limiter) });
    const a = socket.address();
    this.local = endpoint(a.address, a.port);
    this.tokens = new TokenVerifier({ clock: Date.now });
    for (const k of options.publicKeys ?? []) this.tokens.addPublicKey(k);
    socket.on('message', (msg, rinfo) => this.onPacket(msg, rinfo));
  }

  static async start(options: DevResponderOptions = {}): Promise<DevResponder> {
    const host = options.host ?? '127.0.0.1';
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => { socket.off('error', reject); resolve(); });
    });
    return new DevResponder(socket, options);
  }

  address(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  private onPacket(msg: Buffer, rinfo: RemoteInfo): void {
    const source = `${rinfo.address}|${rinfo.port}`;
    const client = endpoint(rinfo.address, rinfo.port);
    if (this.verified.has(source)) {
      if (isHelloPacket(msg)) return;
      if (isAnswerPacket(msg)) {
        const r = this.engine.verify(msg, { client, target: this.local, floorBits: 0 });
        if (r.ok && r.payloadOffset < msg.length) this.deliver(msg.subarray(r.payloadOffset), rinfo);
        return;
      }
      this.deliver(msg, rinfo);
      return;
    }
    if (packetMagic(msg) === TOKEN_MAGIC) {
      const t = this.tokens.verify(msg, client, this.local);
      if (t.ok) {
        this.stats.tokens++;
        this.verified.add(source);
        return;
      }
      this.stats.rejected[`token_${t.reason}`] = (this.stats.rejected[`token_${t.reason}`] ?? 0) + 1;
      // An invalid token is just an unknown source: fall through to a challenge.
    } else if (isAnswerPacket(msg)) {
      const floorBits = this.options.difficulty?.bits ?? 10;
      const r = this.engine.verify(msg, { client, target: this.local, floorBits });
      if (!r.ok) {
        this.stats.rejected[r.reason] = (this.stats.rejected[r.reason] ?? 0) + 1;
        return;
      }
      this.stats.verified++;
      this.verified.add(source);
      if (r.payloadOffset < msg.length) this.deliver(msg.subarray(r.payloadOffset), rinfo);
      return;
    }
    // Unknown source: at most one challenge per packet, never larger than the packet.
    const issued = this.engine.issue({ client, target: this.local, triggerSize: msg.length, difficulty: this.options.difficulty ?? { bits: 10, subPuzzles: 4 } });
    if (!issued.ok) {
      this.stats.refused[issued.reason] = (this.stats.refused[issued.reason] ?? 0) + 1;
      return;
    }
    this.stats.challenges++;
    this.stats.sizes.push([msg.length, issued.packet.length]);
    this.socket.send(issued.packet, rinfo.port, rinfo.address);
  }

  private deliver(payload: Buffer, from: RemoteInfo): void {
    this.received.push(Buffer.from(payload));
    const reply = (data: Uint8Array | string) => this.socket.send(typeof data === 'string' ? Buffer.from(data) : data, from.port, from.address);
    if (this.options.onPacket) this.options.onPacket(payload, from, reply);
    else reply(Buffer.concat([Buffer.from('echo:'), payload]));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
