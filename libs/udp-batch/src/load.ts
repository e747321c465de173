// Finds the built addon, or says why there is none (the edge logs this once and exports it).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { platform } from 'node:os';

/** The addon's functions, as native/udp_batch.c defines them. */
export interface NativeBinding {
  open(family: 4 | 6, address: Uint8Array, port: number, reusePort: boolean, ipv6Only: boolean, recvBuf: number, sendBuf: number): object;
  recv(h: object, bytes: Uint8Array, offset: number, stride: number, slotSize: number, count: number, meta: Uint32Array): number;
  send(h: object, bytes: Uint8Array, meta: Uint32Array, first: number, count: number): number;
  startReadable(h: object, fn: (status: number) => void): void;
  stopReadable(h: object): void;
  ref(h: object, on: boolean): void;
  close(h: object): void;
  connect(h: object, address: Uint8Array, port: number): void;
  bufferSize(h: object, which: 0 | 1, bytes: number): number;
  localAddress(h: object, out: Uint8Array): number;
  stats(h: object, out: Float64Array): void;
  attachReusePortCbpf(h: object, program: Uint8Array): void;
}

export type NativeLoad = { binding: NativeBinding; reason: null } | { binding: null; reason: string };

const ADDON = '../build/Release/udp_batch.node';
const BUILD_LOG = new URL('../build/build-error.txt', import.meta.url);

/**
 * Loads the addon unless FLOWSHIELD_UDP_BATCH=dgram asks for the twin. The reason names what is
 * missing: not Linux, the install-time build failed (its first error line), or the load error.
 */
export function loadNative(env: NodeJS.ProcessEnv = process.env): NativeLoad {
  if (env.FLOWSHIELD_UDP_BATCH === 'dgram') return { binding: null, reason: 'FLOWSHIELD_UDP_BATCH=dgram asks for the dgram twin' };
  if (platform() !== 'linux') return { binding: null, reason: `recvmmsg/sendmmsg need Linux; this is ${platform()}` };
  try {
    return { binding: createRequire(import.meta.url)(ADDON) as NativeBinding, reason: null };
  } catch (err) {
    let build = '';
    try {
      build = readFileSync(BUILD_LOG, 'utf8').trim().split('\n')[0] ?? '';
    } catch { /* no failed-build note: the build did not run (or ran fine) */ }
    const why = (err as Error).message.split('\n')[0];
    return { binding: null, reason: build ? `the addon did not build at install: ${build}` : `the addon did not load: ${why}` };
  }
}
