// The legitimate players of bench/flood: K SDK clients (FlowshieldSocket), each bound to its own
// 127.0.0.x, playing at a steady rate; every packet carries a sequence number, so each phase can
// count which of its packets came back (delivery ratio) and how long each took (round trip).
import { FlowshieldSocket } from '@flowshield/client';

const TICK_MS = 10;
const SEQ_AT = 4;

class Player {
  constructor(socket) {
    this.socket = socket;
    this.seq = 0;
    this.sentAt = [];
    this.rtt = new Map(); // seq → µs, first reply only (the SDK may resend after a challenge)
    this.challenges = 0;
    socket.on('message', (data) => {
      if (data.length < SEQ_AT + 4 || data.readUInt32BE(0) !== 0x47414d45) return;
      const seq = data.readUInt32BE(SEQ_AT);
      const t0 = this.sentAt[seq];
      if (t0 !== undefined && !this.rtt.has(seq)) this.rtt.set(seq, (performance.now() - t0) * 1000);
    });
    socket.on('challenge', () => { this.challenges++; });
    socket.on('error', () => undefined); // a refused send or a stray datagram: the counts show it
  }

  send() {
    const data = Buffer.alloc(64);
    data.writeUInt32BE(0x47414d45, 0); // "GAME": not a flowshield magic
    data.writeUInt32BE(this.seq, SEQ_AT);
    this.sentAt[this.seq++] = performance.now();
    try { this.socket.send(data); } catch { /* held-queue full while solving: a lost packet */ }
  }
}

export class LegitClients {
  constructor(players, rate) {
    this.players = players;
    this.rate = rate;
    this.timer = null;
  }

  /**
   * K clients to 127.0.0.1:port from 127.0.0.(firstHost + i). With `challenge`, each says hello and
   * solves the edge's challenge before this resolves; without, they are plain sockets (relay, origin).
   */
  static async connect({ count, port, firstHost, rate, challenge }) {
    const players = await Promise.all(Array.from({ length: count }, async (_, i) => {
      const options = { host: '127.0.0.1', port, localAddress: `127.0.0.${firstHost + i}`, solver: 'inline' };
      const socket = await FlowshieldSocket.connect(challenge ? { ...options, holdAfterHelloMs: 300 } : { ...options, hello: false, holdAfterHelloMs: 0, resendWindowMs: 0 });
      if (challenge) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`client 127.0.0.${firstHost + i} not verified within 20 s`)), 20_000);
          socket.once('verified', () => { clearTimeout(timer); resolve(); });
        });
      }
      return new Player(socket);
    }));
    return new LegitClients(players, rate);
  }

  /** Starts playing: each client sends `rate` packets/s, paced on a 10 ms tick, catching up after a late tick. */
  play() {
    const t0 = performance.now();
    const base = this.players.map((p) => p.seq);
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - t0) / 1000) * this.rate);
      this.players.forEach((p, i) => { while (p.seq - base[i] < due) p.send(); });
    }, TICK_MS);
  }

  /** Marks the start of a measured window. */
  mark() {
    return this.players.map((p) => ({ seq: p.seq, challenges: p.challenges }));
  }

  /**
   * What came back of the packets sent between two marks (replies may arrive until now: call it
   * after a grace period): { sent, received, deliveryRatio, p50, p99 (µs), challenges, rtts }.
   */
  window(from, to) {
    let sent = 0;
    let received = 0;
    const rtts = [];
    this.players.forEach((p, i) => {
      for (let seq = from[i].seq; seq < to[i].seq; seq++) {
        sent++;
        const rtt = p.rtt.get(seq);
        if (rtt !== undefined) { received++; rtts.push(rtt); }
      }
    });
    rtts.sort((a, b) => a - b);
    const q = (f) => rtts.length ? rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * f))] : NaN;
    const challenges = this.players.reduce((n, p, i) => n + (to[i].challenges - from[i].challenges), 0);
    return { sent, received, deliveryRatio: sent ? received / sent : NaN, p50: q(0.5), p99: q(0.99), challenges, rtts };
  }

  async close() {
    clearInterval(this.timer);
    await Promise.all(this.players.map((p) => p.socket.close()));
  }
}
