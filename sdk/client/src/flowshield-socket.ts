import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ANSWER_HEADER_SIZE, SOLUTION_SIZE, decodeChallenge, encodeAnswer, encodeHello, isChallengePacket } from '@flowshield/proto';
import { expectedTries, type SolveProgress } from '@flowshield/puzzle';
import { ClientError, ClientErrorCode } from './errors.js';
import { InlineSolver, WorkerSolver, type ChallengeSolver } from './worker-solver.js';

/** Long enough for a challenge to come back from an edge on the same continent. */
const DEFAULT_HOLD_AFTER_HELLO_MS = 250;
/** Longer than a challenge takes to come back from a loaded edge on another continent. */
const DEFAULT_RESEND_WINDOW_MS = 3_000;
/** How far back (issue time, and local time since answering) a challenge counts as a late duplicate. */
const LATE_DUPLICATE_SECONDS = 5;

export interface ConnectOptions {
  host: string;
  port: number;
  /** Local address/port to bind (default: any, ephemeral). */
  localAddress?: string;
  localPort?: number;
  /**
   * A verified token (e.g. from the matchmaker, which got it from the challenge service): sent as
   * the first packet instead of the hello, so the edge can let the client in without a puzzle.
   */
  token?: Uint8Array;
  /** Send the padded hello on connect (default true). */
  hello?: boolean;
  /** Game packets held while a challenge is solved (default 256). Beyond it send() throws QUEUE_FULL. */
  maxQueuedPackets?: number;
  /** Largest game payload carried inside the answer; larger ones follow it (default 1200 − answer). */
  maxAnswerDatagram?: number;
  /** 'worker' (default): solve in a worker thread. 'inline': on this thread in slices. */
  solver?: 'worker' | 'inline';
  /**
   * Refuse challenges asking more work than this (bits, difficulty + log2 sub-puzzles; default 24).
   * Anyone able to spoof the server's address can send a challenge; this bounds what they can cost
   * the player's CPU. A refused challenge is reported as an 'error' and the socket carries on.
   */
  maxWorkBits?: number;
  /** Minimum time between 'progress' events (default 50 ms). */
  progressIntervalMs?: number;
  /**
   * Hold game packets for up to this long after the hello, waiting for a possible challenge
   * (default 250 ms; 0 sends at once). Packets sent before the challenge arrives would be dropped by
   * the edge (it challenges unknown sources); held, they go out in order once it is answered. An
   * already verified client waits this long once, at connect.
   */
  holdAfterHelloMs?: number;
  /**
   * Game packets sent while the server has not yet answered anything are kept this long (default
   * 3,000 ms; 0 keeps none). If a challenge arrives meanwhile, the edge dropped them (it challenges
   * unknown sources and drops what they send), so they are sent again, in order, after the answer.
   * This covers a challenge slower than `holdAfterHelloMs` (a loaded edge) and an answer the edge
   * refused. The first datagram from the server that is not a challenge ends the window.
   */
  resendWindowMs?: number;
}

export interface ChallengeEvent {
  keyId: number;
  difficulty: number;
  subPuzzles: number;
  /** Mean number of hashes to solve it. */
  expectedTries: number;
}

export interface VerifiedEvent {
  /** Milliseconds from receiving the challenge to sending the answer. */
  solveMs: number;
  tries: number;
  /** Game packets that were held and have now been sent, in order. */
  flushed: number;
}

export interface FlowshieldSocketEvents {
  message: [data: Buffer, rinfo: RemoteInfo];
  challenge: [ChallengeEvent];
  progress: [SolveProgress];
  verified: [VerifiedEvent];
  error: [Error];
  close: [];
}

type State = 'greeting' | 'open' | 'solving' | 'closed';

/**
 * A UDP socket for a game client behind flowshield. Use it like a connected dgram socket:
 *
 *   const s = await FlowshieldSocket.connect({ host, port });
 *   s.on('message', (buf) => …);
 *   s.send(buf);
 *
 * When the edge answers with a challenge, the socket solves it in a worker, holds the game packets
 * sent meanwhile, sends the answer (carrying the first held packet) and then the rest in order.
 * Events: 'challenge', 'progress', 'verified' ({ solveMs }), 'message', 'error', 'close'.
 *
 * 'verified' means the answer was sent: the edge does not acknowledge (that would be one more
 * packet an attacker could make it send). If the answer is lost or refused, the edge challenges
 * again and the socket solves again.
 */
export class FlowshieldSocket extends EventEmitter<FlowshieldSocketEvents> {
  readonly remote: { host: string; port: number };
  private readonly socket: Socket;
  private readonly solver: ChallengeSolver;
  private readonly queue: Uint8Array[] = [];
  /** game packets sent since the server last proved it lets us through, with when they were sent */
  private readonly unconfirmed: { at: number; bytes: Uint8Array }[] = [];
  private readonly resendWindowMs: number;
  private readonly maxQueued: number;
  private readonly maxAnswerDatagram: number;
  private readonly maxWorkBits: number;
  private state: State = 'open';
  private stats = { challenges: 0, ignoredChallenges: 0, solved: 0 };

  private constructor(socket: Socket, remote: { host: string; port: number }, options: ConnectOptions) {
    super();
    this.socket = socket;
    this.remote = remote;
    this.maxQueued = options.maxQueuedPackets ?? 256;
    this.maxAnswerDatagram = options.maxAnswerDatagram ?? 1200;
    this.maxWorkBits = options.maxWorkBits ?? 24;
    this.resendWindowMs = options.resendWindowMs ?? DEFAULT_RESEND_WINDOW_MS;
    if (options.solver === 'inline') {
      this.solver = new InlineSolver();
    } else {
      const worker = new WorkerSolver(options.progressIntervalMs ?? 50);
      worker.warm();
      this.solver = worker;
    }
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    socket.on('error', (err) => this.emit('error', err));
  }

  /** Opens a UDP socket connected to the game server (through its edge) and says hello. */
  static async connect(options: ConnectOptions): Promise<FlowshieldSocket> {
    const address = isIP(options.host) ? options.host : (await lookup(options.host)).address;
    const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port: options.localPort ?? 0, ...(options.localAddress ? { address: options.localAddress } : {}) }, () => {
        socket.connect(options.port, address, () => { socket.off('error', reject); resolve(); });
      });
    });
    const s = new FlowshieldSocket(socket, { host: address, port: options.port }, options);
    // The first packet is never smaller than a challenge, so the edge may answer it with one
    // without amplifying: a hello (64 bytes), or the token (117 bytes).
    if (options.token) s.raw(options.token);
    else if (options.hello !== false) s.raw(encodeHello());
    const hold = options.holdAfterHelloMs ?? (options.token || options.hello === false ? 0 : DEFAULT_HOLD_AFTER_HELLO_MS);
    if (hold > 0) s.greet(hold);
    return s;
  }

  private greetTimer: NodeJS.Timeout | null = null;

  private greet(ms: number): void {
    this.state = 'greeting';
    this.greetTimer = setTimeout(() => {
      this.greetTimer = null;
      if (this.state !== 'greeting') return;
      this.state = 'open';
      this.flush();
    }, ms);
  }

  /** True while a challenge is being solved (game packets are held). */
  get solving(): boolean {
    return this.state === 'solving';
  }

  /** Game packets currently held. */
  get queued(): number {
    return this.queue.length;
  }

  get counters(): { challenges: number; ignoredChallenges: number; solved: number } {
    return { ...this.stats };
  }

  address(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Sends a game packet now, or holds it (in order) while a challenge is being solved. */
  send(data: Uint8Array | string): void {
    if (this.state === 'closed') throw new ClientError(ClientErrorCode.CLOSED, 'socket is closed');
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    if (this.state === 'solving' || this.state === 'greeting') {
      if (this.queue.length >= this.maxQueued) throw new ClientError(ClientErrorCode.QUEUE_FULL, `already holding ${this.maxQueued} packets while solving`);
      this.queue.push(Uint8Array.from(bytes)); // a copy: the game may reuse its buffer
      return;
    }
    this.sendGame(bytes);
  }

  /** A game packet on the wire, kept for a resend until the server is known to let us through. */
  private sendGame(bytes: Uint8Array): void {
    this.raw(bytes);
    if (this.resendWindowMs <= 0) return;
    if (this.unconfirmed.length >= this.maxQueued) this.unconfirmed.shift();
    this.unconfirmed.push({ at: performance.now(), bytes: Uint8Array.from(bytes) });
  }

  /** A challenge means the edge dropped what we sent lately: those packets go again after the answer. */
  private requeueUnconfirmed(): void {
    const since = performance.now() - this.resendWindowMs;
    const again = this.unconfirmed.filter((p) => p.at >= since).map((p) => p.bytes);
    this.unconfirmed.length = 0;
    this.queue.unshift(...again.slice(0, Math.max(0, this.maxQueued - this.queue.length)));
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue.length = 0;
    this.unconfirmed.length = 0;
    if (this.greetTimer) clearTimeout(this.greetTimer);
    await this.solver.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
    this.emit('close');
  }

  private raw(bytes: Uint8Array): void {
    this.socket.send(bytes, (err) => { if (err && this.state !== 'closed') this.emit('error', err); });
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (isChallengePacket(msg)) {
      const fields = decodeChallenge(msg);
      if (typeof fields !== 'string') {
        this.onChallenge(Uint8Array.from(msg), fields.keyId, fields.issuedAt, fields.difficulty, fields.subPuzzles);
        return;
      }
      // Starts like a challenge but is not one: game data, deliver it.
    }
    this.unconfirmed.length = 0; // the server answered: what we sent got through
    this.emit('message', msg, rinfo);
  }

  /** issue time of the challenge answered last, and when (local ms) it was answered */
  private answeredIssuedAt = -1;
  private answeredAtMs = -Infinity;

  /**
   * A late duplicate of the burst just answered (the edge challenges each packet of an unknown
   * source, up to its per-source burst) must not cost a second solve. Only a challenge issued
   * shortly before the answered one, arriving shortly after the answer, counts: anyone who can
   * spoof the server's address could send one dated far in the future, and a plain "not later
   * than" rule would then ignore every genuine challenge until the client reconnects.
   */
  private isLateDuplicate(issuedAt: number): boolean {
    return issuedAt <= this.answeredIssuedAt
      && this.answeredIssuedAt - issuedAt <= LATE_DUPLICATE_SECONDS
      && performance.now() - this.answeredAtMs <= LATE_DUPLICATE_SECONDS * 1000;
  }

  private onChallenge(challenge: Uint8Array, keyId: number, issuedAt: number, difficulty: number, subPuzzles: number): void {
    if (this.greetTimer) { clearTimeout(this.greetTimer); this.greetTimer = null; }
    if ((this.state !== 'open' && this.state !== 'greeting') || this.isLateDuplicate(issuedAt)) {
      // Already solving (a duplicate), closed, or a duplicate from the burst we already answered.
      this.stats.ignoredChallenges++;
      return;
    }
    const workBits = difficulty + Math.log2(subPuzzles);
    if (workBits > this.maxWorkBits) {
      this.stats.ignoredChallenges++;
      this.emit('error', new ClientError(ClientErrorCode.CHALLENGE_TOO_HARD, `challenge asks ${workBits} bits of work, more than maxWorkBits ${this.maxWorkBits}`));
      if (this.state === 'greeting') { this.state = 'open'; this.flush(); }
      return;
    }
    this.stats.challenges++;
    this.state = 'solving';
    this.requeueUnconfirmed();
    const started = performance.now();
    this.emit('challenge', { keyId, difficulty, subPuzzles, expectedTries: expectedTries(difficulty, subPuzzles) });
    this.solver.solve(challenge, (p) => { if (this.state === 'solving') this.emit('progress', p); }).then(
      (result) => {
        if (this.state !== 'solving') return;
        this.stats.solved++;
        this.state = 'open';
        this.answeredIssuedAt = issuedAt;
        this.answeredAtMs = performance.now();
        const flushed = this.answer(challenge, result.solutions);
        this.emit('verified', { solveMs: performance.now() - started, tries: result.tries, flushed });
      },
      (err: Error) => {
        if (this.state !== 'solving') return;
        this.state = 'open';
        this.emit('error', err);
        this.flush(); // let the game's packets go; the edge will challenge again
      },
    );
  }

  /** Sends the answer with the first held packet inside (if it fits), then the others in order. */
  private answer(challenge: Uint8Array, solutions: Uint32Array): number {
    const answerSize = ANSWER_HEADER_SIZE + SOLUTION_SIZE * solutions.length;
    const first = this.queue[0];
    const carried = first !== undefined && answerSize + first.length <= this.maxAnswerDatagram;
    this.raw(encodeAnswer(challenge, solutions, carried ? first : undefined));
    if (carried) {
      this.queue.shift();
      // If the edge refuses the answer it challenges again: the carried packet must go again too.
      if (this.resendWindowMs > 0) this.unconfirmed.push({ at: performance.now(), bytes: first });
    }
    return (carried ? 1 : 0) + this.flush();
  }

  private flush(): number {
    const n = this.queue.length;
    for (const p of this.queue.splice(0)) this.sendGame(p);
    return n;
  }
}
