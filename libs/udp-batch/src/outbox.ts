// A batch of datagrams built by the caller (challenges, replies) waiting for one send call: an
// arena of bytes and the records that point into it. The packet loop fills it while it walks a
// received batch and flushes it once at the end.
import { UdpBatchError, UdpBatchErrorCode as C } from './errors.js';
import { META_WORDS, Meta } from './layout.js';
import type { UdpBatchSocket } from './types.js';

export interface OutboxOptions {
  /** Most datagrams per flush (default 256). */
  records?: number;
  /** Bytes of datagram data per flush (default 256 KiB). */
  bytes?: number;
}

export class Outbox {
  readonly arena: Uint8Array;
  readonly meta: Uint32Array;
  #count = 0;
  #used = 0;
  /** Datagrams a flush could not hand to the kernel (send buffer full), since creation. */
  dropped = 0;

  constructor(private readonly socket: UdpBatchSocket, options: OutboxOptions = {}) {
    const records = options.records ?? 256;
    const bytes = options.bytes ?? 256 * 1024;
    if (!Number.isInteger(records) || records < 1 || !Number.isInteger(bytes) || bytes < 1) {
      throw new UdpBatchError(C.ARGUMENT, 'outbox records and bytes must be positive integers');
    }
    this.arena = new Uint8Array(bytes);
    this.meta = new Uint32Array(records * META_WORDS);
  }

  get length(): number { return this.#count; }

  /**
   * Space for one datagram of `length` bytes to `address` (16 bytes) and `port`: write the
   * datagram into the returned view (builders that take an output buffer write there directly).
   * null when the outbox is full: flush and retry.
   */
  reserve(length: number, address: Uint8Array, port: number): Uint8Array | null {
    if (this.#count * META_WORDS >= this.meta.length || this.#used + length > this.arena.length) return null;
    const b = this.#count++ * META_WORDS;
    const m = this.meta;
    m[b + Meta.OFFSET] = this.#used;
    m[b + Meta.LENGTH] = length;
    m[b + Meta.PORT] = port;
    m[b + Meta.DGRAM_LEN] = length;
    new Uint8Array(m.buffer, m.byteOffset + (b + Meta.ADDRESS) * 4, 16).set(address);
    const view = this.arena.subarray(this.#used, this.#used + length);
    this.#used += length;
    return view;
  }

  /** Copies `data` in as one datagram; false when full. */
  push(data: Uint8Array, address: Uint8Array, port: number): boolean {
    const view = this.reserve(data.length, address, port);
    if (view === null) return false;
    view.set(data);
    return true;
  }

  /**
   * One send call for everything queued; what the kernel would not take (its buffer full) is
   * dropped and counted, as a router drops, rather than kept to grow without bound.
   */
  flush(): { sent: number; dropped: number } {
    const n = this.#count;
    if (n === 0) return { sent: 0, dropped: 0 };
    this.#count = 0;
    this.#used = 0;
    const sent = this.socket.send(this.arena, this.meta, 0, n);
    this.dropped += n - sent;
    return { sent, dropped: n - sent };
  }
}
