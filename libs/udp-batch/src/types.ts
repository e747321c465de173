/** The few WebAssembly JS API shapes used here (the project compiles without the DOM lib). */
export interface WasmMemoryLike {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

/**
 * Memory owned by JS that datagrams are received into or sent from. Offsets are bytes from the
 * start of the ArrayBuffer / SharedArrayBuffer / wasm memory, or of the view's window for a view.
 * A WebAssembly.Memory is read afresh on every call, so it may grow (and move) between calls.
 */
export type BatchMemory = ArrayBuffer | SharedArrayBuffer | WasmMemoryLike | ArrayBufferView;

/** Fixed-size slots in a memory: slot i starts at offset + i * stride and holds slotSize bytes. */
export interface SlotRegion {
  memory: BatchMemory;
  /** Byte offset of slot 0 (leave headroom before it by pointing past the header you will write). */
  offset: number;
  /** Bytes from one slot's start to the next. */
  stride: number;
  /** Capacity of each slot (default: stride); a longer datagram is truncated to it and counted. */
  slotSize?: number;
  /** Number of slots: the most datagrams one recv call takes. */
  count: number;
}

export type SocketType = 'udp4' | 'udp6';

export interface OpenOptions {
  type: SocketType;
  /** Bind address (default 0.0.0.0 / ::). */
  address?: string;
  /** Bind port (default 0: the kernel picks). */
  port?: number;
  /** SO_REUSEPORT, so N workers bind the same port and the kernel spreads datagrams (default false). */
  reusePort?: boolean;
  /** udp6 only: refuse IPv4-mapped traffic (default false: dual stack, v4 sources arrive mapped). */
  ipv6Only?: boolean;
  /**
   * connect(2) to this peer after bind: only its datagrams arrive (an origin-facing socket per
   * client flow ignores spoofed replies). Sends then go to the peer: records' PORT and ADDRESS
   * are not used.
   */
  connect?: { address: string; port: number };
  /** Requested SO_RCVBUF / SO_SNDBUF bytes; bufferSizes() reports what the kernel granted. */
  recvBufferSize?: number;
  sendBufferSize?: number;
}

export interface SocketStats {
  /** Datagrams taken by recv calls. */
  received: number;
  /** Of those, datagrams longer than their slot (cut to the slot; DGRAM_LEN has the real size). */
  truncated: number;
  /** Datagrams the kernel accepted (native) / dgram confirmed sent (twin). */
  sent: number;
  /** Datagrams refused alone (EMSGSIZE, EPERM, ENETUNREACH, …) and skipped. */
  sendErrors: number;
  /** send calls that stopped early because the socket's send buffer was full. */
  wouldBlock: number;
  /** Datagrams lost because the receive buffer was full: native, the kernel's SO_RXQ_OVFL count
   * as of the last datagram read; twin, its own queue's drops past recvBufferSize. */
  dropped: number;
  /** Errors the network reported later for earlier sends (ICMP unreachable on a connected
   * socket): counted and cleared, never thrown and never stopping readiness. */
  peerErrors: number;
}

export type Implementation = 'native' | 'dgram';

export interface UdpBatchSocket {
  readonly implementation: Implementation;
  readonly type: SocketType;
  readonly closed: boolean;
  /** The bound address and port. */
  address(): { address: string; port: number; family: 'IPv4' | 'IPv6' };
  /**
   * Non-blocking: receives up to region.count datagrams, datagram i into slot i, its record into
   * meta (see layout.ts), and returns how many; 0 when nothing is waiting. Never blocks.
   */
  recv(region: SlotRegion, meta: Uint32Array): number;
  /**
   * Sends records [first, first + count) of meta (default: all of meta) from memory in one batch.
   * Returns how many records were handled (sent, or refused alone and counted in sendErrors);
   * fewer than count means the send buffer is full: retry later or drop them.
   */
  send(memory: BatchMemory, meta: Uint32Array, first?: number, count?: number): number;
  /**
   * Level-triggered readiness: fn runs on the event loop while datagrams wait; drain with recv.
   * null stops. While set, the socket keeps the process alive (unless unref()).
   */
  onReadable(fn: (() => void) | null): void;
  bufferSizes(): { recv: number; send: number };
  setRecvBufferSize(bytes: number): number;
  setSendBufferSize(bytes: number): number;
  stats(): SocketStats;
  /**
   * SO_ATTACH_REUSEPORT_CBPF: a classic BPF program (struct sock_filter[], 8 bytes each) that
   * returns the index of the socket in this reuse-port group that gets each datagram. Native only.
   */
  attachReusePortProgram(program: Uint8Array): void;
  ref(): this;
  unref(): this;
  /** Idempotent; the port is free once it returns. */
  close(): void;
}

export interface UdpBatchImpl {
  readonly implementation: Implementation;
  /** reusePort: N sockets may share a port; steering: attachReusePortProgram works. */
  readonly capabilities: { readonly reusePort: boolean; readonly steering: boolean };
  open(options: OpenOptions): Promise<UdpBatchSocket>;
}
