// The native implementation: a thin TS shell over native/udp_batch.c. Region-level checks run
// here (the same code as the twin, so errors match); per-record checks run in C.
import { bytes16ToIp } from '@flowshield/proto';
import { UdpBatchError, UdpBatchErrorCode as C } from './errors.js';
import type { NativeBinding } from './load.js';
import type { BatchMemory, OpenOptions, SlotRegion, SocketStats, SocketType, UdpBatchImpl, UdpBatchSocket } from './types.js';
import { bindAddress, bytesOf, checkMeta, checkOptions, checkRegion, checkUint, connectPeer, sendRange } from './validate.js';

class NativeSocket implements UdpBatchSocket {
  readonly implementation = 'native' as const;
  #closed = false;
  readonly #b: NativeBinding;
  readonly #h: object;
  readonly #stats = new Float64Array(7);

  constructor(binding: NativeBinding, handle: object, readonly type: SocketType) {
    this.#b = binding;
    this.#h = handle;
  }

  get closed(): boolean { return this.#closed; }

  #open(): void {
    if (this.#closed) throw new UdpBatchError(C.CLOSED, 'socket is closed');
  }

  address(): { address: string; port: number; family: 'IPv4' | 'IPv6' } {
    this.#open();
    const out = new Uint8Array(16);
    const port = call(() => this.#b.localAddress(this.#h, out));
    return { address: this.type === 'udp4' ? bytes16ToIp(out) : v6Text(out), port, family: this.type === 'udp4' ? 'IPv4' : 'IPv6' };
  }

  recv(region: SlotRegion, meta: Uint32Array): number {
    this.#open();
    const bytes = bytesOf(region.memory);
    const slot = checkRegion(region, bytes);
    checkMeta(meta, region.count);
    return call(() => this.#b.recv(this.#h, bytes, region.offset, region.stride, slot, region.count, meta));
  }

  send(memory: BatchMemory, meta: Uint32Array, first?: number, count?: number): number {
    this.#open();
    const bytes = bytesOf(memory);
    const [f, n] = sendRange(meta, first, count);
    return call(() => this.#b.send(this.#h, bytes, meta, f, n));
  }

  onReadable(fn: (() => void) | null): void {
    this.#open();
    if (fn === null) return call(() => this.#b.stopReadable(this.#h));
    if (typeof fn !== 'function') throw new UdpBatchError(C.ARGUMENT, 'onReadable takes a function or null');
    // A negative status is a socket error libuv saw; recv then throws it with its errno.
    call(() => this.#b.startReadable(this.#h, () => fn()));
  }

  bufferSizes(): { recv: number; send: number } {
    this.#open();
    return { recv: call(() => this.#b.bufferSize(this.#h, 0, 0)), send: call(() => this.#b.bufferSize(this.#h, 1, 0)) };
  }

  setRecvBufferSize(bytes: number): number {
    this.#open();
    checkUint(bytes, 1 << 30, 'bytes');
    return call(() => this.#b.bufferSize(this.#h, 0, bytes));
  }

  setSendBufferSize(bytes: number): number {
    this.#open();
    checkUint(bytes, 1 << 30, 'bytes');
    return call(() => this.#b.bufferSize(this.#h, 1, bytes));
  }

  stats(): SocketStats {
    this.#b.stats(this.#h, this.#stats);
    const s = this.#stats;
    return { received: s[0]!, truncated: s[1]!, sent: s[2]!, sendErrors: s[3]!, wouldBlock: s[4]!, dropped: s[5]!, peerErrors: s[6]! };
  }

  attachReusePortProgram(program: Uint8Array): void {
    this.#open();
    if (!(program instanceof Uint8Array)) throw new UdpBatchError(C.ARGUMENT, 'program must be a Uint8Array of struct sock_filter');
    call(() => this.#b.attachReusePortCbpf(this.#h, program));
  }

  ref(): this {
    this.#b.ref(this.#h, true);
    return this;
  }

  unref(): this {
    this.#b.ref(this.#h, false);
    return this;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#b.close(this.#h);
  }
}

function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw UdpBatchError.from(err);
  }
}

/** A udp6 socket's own address stays in IPv6 text even when it is ::ffff:a.b.c.d. */
function v6Text(b: Uint8Array): string {
  const text = bytes16ToIp(b);
  return text.includes(':') ? text : `::ffff:${text}`;
}

export function nativeImpl(binding: NativeBinding): UdpBatchImpl {
  return {
    implementation: 'native',
    capabilities: { reusePort: true, steering: true },
    async open(options: OpenOptions): Promise<UdpBatchSocket> {
      const address = bindAddress(options);
      const { port, recv, send } = checkOptions(options);
      const peer = connectPeer(options);
      const handle = call(() => binding.open(options.type === 'udp4' ? 4 : 6, address, port, options.reusePort === true,
        options.ipv6Only === true, recv, send));
      try {
        if (peer) call(() => binding.connect(handle, peer.address, peer.port));
      } catch (err) {
        binding.close(handle);
        throw err;
      }
      return new NativeSocket(binding, handle, options.type);
    },
  };
}
