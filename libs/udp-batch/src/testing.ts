// Helpers for this package's tests: real dgram peers and a drain loop over onReadable.
import { createSocket, type Socket } from 'node:dgram';
import { META_WORDS, Meta } from './layout.js';
import type { SlotRegion, UdpBatchSocket } from './types.js';

export interface Got { data: Buffer; length: number; dgramLength: number; port: number; address: Buffer; offset: number }

/** Collects `want` datagrams through onReadable + recv (copying each record out), or rejects. */
export function drain(sock: UdpBatchSocket, region: SlotRegion, meta: Uint32Array, want: number, ms = 10_000): Promise<{ got: Got[]; calls: number[] }> {
  return new Promise((resolve, reject) => {
    const got: Got[] = [];
    const calls: number[] = [];
    const timer = setTimeout(() => {
      sock.onReadable(null);
      reject(new Error(`timed out with ${got.length}/${want} datagrams`));
    }, ms);
    sock.onReadable(() => {
      const n = sock.recv(region, meta);
      calls.push(n);
      const mem = memoryBytes(region);
      for (let i = 0; i < n; i++) {
        const b = i * META_WORDS;
        const off = meta[b + Meta.OFFSET]!;
        got.push({
          data: Buffer.from(mem.subarray(off, off + meta[b + Meta.LENGTH]!)),
          length: meta[b + Meta.LENGTH]!,
          dgramLength: meta[b + Meta.DGRAM_LEN]!,
          port: meta[b + Meta.PORT]!,
          address: Buffer.from(new Uint8Array(meta.buffer, meta.byteOffset + (b + Meta.ADDRESS) * 4, 16)),
          offset: off,
        });
      }
      if (got.length >= want) {
        clearTimeout(timer);
        sock.onReadable(null);
        resolve({ got, calls });
      }
    });
  });
}

function memoryBytes(region: SlotRegion): Uint8Array {
  const m = region.memory as unknown;
  if (m instanceof ArrayBuffer || m instanceof SharedArrayBuffer) return new Uint8Array(m);
  if (ArrayBuffer.isView(m)) return new Uint8Array(m.buffer, m.byteOffset, m.byteLength);
  return new Uint8Array((m as { buffer: ArrayBuffer }).buffer);
}

/** A bound dgram peer. */
export function peer(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket(type);
    s.once('error', reject);
    s.bind(0, address, () => resolve(s));
  });
}

/** Sends each payload in order, waiting for each callback (so order on loopback is kept). */
export async function sendAll(s: Socket, payloads: Uint8Array[], port: number, address: string): Promise<void> {
  for (const p of payloads) await new Promise<void>((res, rej) => s.send(p, port, address, (e) => (e ? rej(e) : res())));
}

/** Collects n datagrams on a dgram socket. */
export function collect(s: Socket, n: number, ms = 10_000): Promise<{ msg: Buffer; port: number; address: string }[]> {
  return new Promise((resolve, reject) => {
    const out: { msg: Buffer; port: number; address: string }[] = [];
    const timer = setTimeout(() => reject(new Error(`timed out with ${out.length}/${n} datagrams`)), ms);
    s.on('message', (msg, r) => {
      out.push({ msg, port: r.port, address: r.address });
      if (out.length === n) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

/** WebAssembly's Memory constructor (the project compiles without the DOM lib). */
export const WasmMemory = (globalThis as unknown as {
  WebAssembly: { Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { buffer: ArrayBuffer | SharedArrayBuffer; grow(n: number): number } };
}).WebAssembly.Memory;

export const closeAll = (...s: { close(): void }[]) => { for (const x of s) x.close(); };
