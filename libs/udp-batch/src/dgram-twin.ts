// The dgram twin: the same API and slot semantics over Node's dgram, for where the addon cannot
// be built or loaded. It copies each datagram into its slot (and each reply out of the memory)
// one by one in JS: the cost the addon exists to avoid.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { bytes16ToIp, ipToBytes16 } from '@flowshield/proto';
import { UdpBatchError, UdpBatchErrorCode as C } from './errors.js';
import { META_WORDS, Meta } from './layout.js';
import type { BatchMemory, OpenOptions, SlotRegion, SocketStats, SocketType, UdpBatchImpl, UdpBatchSocket } from './types.js';
import { bindAddress, bytesOf, checkMeta, checkOptions, checkRegion, checkSendBatch, checkUint, connectPeer, sendRange } from './validate.js';

/** dgram gained reusePort in Node 22.12 / 23.1; before that the twin cannot share a port. */
export const DGRAM_REUSE_PORT = (() => {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
})();

interface Queued { msg: Buffer; address: Uint8Array; port: number }

class DgramSocket implements UdpBatchSocket {
  readonly implementation = 'dgram' as const;
  #closed = false;
  readonly #s: Socket;
  // A ring-free FIFO: an array and a read index, compacted when drained (no shift() per datagram).
  #queue: Queued[] = [];
  #head = 0;
  #queuedBytes = 0;
  #limit: number;
  #onReadable: (() => void) | null = null;
  #scheduled = false;
  #userRef = true;
  readonly #st: SocketStats = { received: 0, truncated: 0, sent: 0, sendErrors: 0, wouldBlock: 0, dropped: 0, peerErrors: 0 };
  #lastAddr = '';
  #lastBytes: Uint8Array = new Uint8Array(16);

  constructor(socket: Socket, readonly type: SocketType, private readonly connected = false) {
    this.#s = socket;
    this.#limit = socket.getRecvBufferSize();
    socket.on('message', (msg, rinfo) => this.#enqueue(msg, rinfo));
    // Errors after bind are the network's reports on earlier sends (ICMP on a connected socket).
    socket.on('error', () => { this.#st.peerErrors++; });
    socket.unref(); // like the native socket: only a set onReadable keeps the process alive
  }

  get closed(): boolean { return this.#closed; }

  #open(): void {
    if (this.#closed) throw new UdpBatchError(C.CLOSED, 'socket is closed');
  }

  #enqueue(msg: Buffer, rinfo: RemoteInfo): void {
    // Bounded like a kernel receive buffer: past recvBufferSize bytes, drop and count.
    if (this.#queuedBytes + msg.length > this.#limit) {
      this.#st.dropped++;
      return;
    }
    this.#queue.push({ msg, address: this.#addressBytes(rinfo.address), port: rinfo.port });
    this.#queuedBytes += msg.length;
    this.#schedule();
  }

  #addressBytes(text: string): Uint8Array {
    // Sources repeat (one client sends many): parse each new one once.
    if (text !== this.#lastAddr) {
      this.#lastAddr = text;
      this.#lastBytes = ipToBytes16(text);
    }
    return this.#lastBytes;
  }

  // One readiness call per event-loop turn while datagrams wait, so a burst arrives as a batch
  // (level-triggered, as the native uv_poll is).
  #schedule(): void {
    if (this.#scheduled || this.#onReadable === null) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#closed || this.#onReadable === null || this.#head >= this.#queue.length) return;
      this.#onReadable();
      if (this.#head < this.#queue.length) this.#schedule();
    });
  }

  address(): { address: string; port: number; family: 'IPv4' | 'IPv6' } {
    this.#open();
    const a = this.#s.address();
    return { address: a.address, port: a.port, family: this.type === 'udp4' ? 'IPv4' : 'IPv6' };
  }

  recv(region: SlotRegion, meta: Uint32Array): number {
    this.#open();
    const bytes = bytesOf(region.memory);
    const slot = checkRegion(region, bytes);
    checkMeta(meta, region.count);
    const q = this.#queue;
    let n = 0;
    for (; n < region.count && this.#head < q.length; n++) {
      const d = q[this.#head]!;
      q[this.#head++] = undefined as unknown as Queued;
      this.#queuedBytes -= d.msg.length;
      const at = region.offset + n * region.stride;
      const len = Math.min(d.msg.length, slot);
      bytes.set(len === d.msg.length ? d.msg : d.msg.subarray(0, len), at);
      const b = n * META_WORDS;
      meta[b + Meta.OFFSET] = at;
      meta[b + Meta.LENGTH] = len;
      meta[b + Meta.PORT] = d.port;
      meta[b + Meta.DGRAM_LEN] = d.msg.length;
      new Uint8Array(meta.buffer, meta.byteOffset + (b + Meta.ADDRESS) * 4, 16).set(d.address);
      if (len < d.msg.length) this.#st.truncated++;
    }
    if (this.#head >= q.length) {
      this.#queue = [];
      this.#head = 0;
    }
    this.#st.received += n;
    return n;
  }

  send(memory: BatchMemory, meta: Uint32Array, first?: number, count?: number): number {
    this.#open();
    const bytes = bytesOf(memory);
    const [f, n] = sendRange(meta, first, count);
    checkSendBatch(this.connected ? null : this.type, bytes, meta, f, n);
    const limit = this.#s.getSendBufferSize();
    for (let i = f; i < f + n; i++) {
      // dgram queues without bound; stop where a kernel send buffer would be full.
      if (this.#s.getSendQueueSize() > limit) {
        this.#st.wouldBlock++;
        return i - f;
      }
      const b = i * META_WORDS;
      const off = meta[b + Meta.OFFSET]!;
      // Copied: dgram may still hold the bytes after send() returns, and the memory is reused.
      const data = Buffer.from(bytes.subarray(off, off + meta[b + Meta.LENGTH]!));
      const done = (err: Error | null) => {
        if (err) this.#st.sendErrors++;
        else this.#st.sent++;
      };
      // dgram refuses a destination on a connected socket: there it goes to the peer.
      if (this.connected) this.#s.send(data, done);
      else {
        const a = new Uint8Array(meta.buffer, meta.byteOffset + (b + Meta.ADDRESS) * 4, 16);
        this.#s.send(data, meta[b + Meta.PORT]!, this.type === 'udp4' ? bytes16ToIp(a) : v6Dest(a), done);
      }
    }
    return n;
  }

  onReadable(fn: (() => void) | null): void {
    this.#open();
    if (fn !== null && typeof fn !== 'function') throw new UdpBatchError(C.ARGUMENT, 'onReadable takes a function or null');
    this.#onReadable = fn;
    if (fn !== null && this.#userRef) this.#s.ref();
    else this.#s.unref();
    if (fn !== null && this.#head < this.#queue.length) this.#schedule();
  }

  bufferSizes(): { recv: number; send: number } {
    this.#open();
    return { recv: this.#s.getRecvBufferSize(), send: this.#s.getSendBufferSize() };
  }

  setRecvBufferSize(bytes: number): number {
    this.#open();
    checkUint(bytes, 1 << 30, 'bytes');
    if (bytes > 0) sys(() => this.#s.setRecvBufferSize(bytes), 'setsockopt(SO_RCVBUF)');
    return (this.#limit = this.#s.getRecvBufferSize());
  }

  setSendBufferSize(bytes: number): number {
    this.#open();
    checkUint(bytes, 1 << 30, 'bytes');
    if (bytes > 0) sys(() => this.#s.setSendBufferSize(bytes), 'setsockopt(SO_SNDBUF)');
    return this.#s.getSendBufferSize();
  }

  stats(): SocketStats {
    return { ...this.#st };
  }

  attachReusePortProgram(_program: Uint8Array): void {
    throw new UdpBatchError(C.UNSUPPORTED, 'reuse-port steering needs the native addon (SO_ATTACH_REUSEPORT_CBPF)');
  }

  ref(): this {
    this.#userRef = true;
    if (!this.#closed && this.#onReadable !== null) this.#s.ref();
    return this;
  }

  unref(): this {
    this.#userRef = false;
    if (!this.#closed) this.#s.unref();
    return this;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onReadable = null;
    this.#queue = [];
    this.#head = 0;
    this.#s.close();
  }
}

function sys<T>(fn: () => T, syscall: string): T {
  try {
    return fn();
  } catch (err) {
    throw UdpBatchError.from(err, syscall);
  }
}

/** dgram on udp6 wants IPv4 destinations as ::ffff:a.b.c.d text. */
function v6Dest(a: Uint8Array): string {
  const text = bytes16ToIp(a);
  return text.includes(':') ? text : `::ffff:${text}`;
}

export const dgramImpl: UdpBatchImpl = {
  implementation: 'dgram',
  capabilities: { reusePort: DGRAM_REUSE_PORT, steering: false },
  async open(options: OpenOptions): Promise<UdpBatchSocket> {
    const address = bytes16ToIp(bindAddress(options));
    const { port, recv, send } = checkOptions(options);
    const peer = connectPeer(options);
    if (options.reusePort === true && !DGRAM_REUSE_PORT) {
      // Binding without it would look like success and then fail on the second worker.
      throw new UdpBatchError(C.UNSUPPORTED, `reusePort needs the native addon or Node >= 22.12 (this is ${process.version})`);
    }
    const bindText = options.type === 'udp6' && !address.includes(':') ? `::ffff:${address}` : address;
    return new Promise((resolve, reject) => {
      const socket = createSocket({
        type: options.type,
        ipv6Only: options.ipv6Only === true,
        ...(options.reusePort === true && DGRAM_REUSE_PORT ? { reusePort: true } : {}),
        ...(recv > 0 ? { recvBufferSize: recv } : {}),
        ...(send > 0 ? { sendBufferSize: send } : {}),
      } as Parameters<typeof createSocket>[0]);
      const onError = (err: Error) => {
        try { socket.close(); } catch { /* never bound */ }
        reject(UdpBatchError.from(err, 'bind'));
      };
      socket.once('error', onError);
      socket.bind({ port, address: bindText, exclusive: true }, () => {
        if (!peer) {
          socket.off('error', onError);
          resolve(new DgramSocket(socket, options.type));
          return;
        }
        const text = options.type === 'udp4' ? bytes16ToIp(peer.address) : v6Dest(peer.address);
        socket.connect(peer.port, text, () => {
          socket.off('error', onError);
          resolve(new DgramSocket(socket, options.type, true));
        });
      });
    });
  },
};
