// @flowshield/udp-batch: batched UDP I/O into memory owned by JS. Picks the native addon when it
// loaded, else the dgram twin with the same API; `implementation` and `nativeUnavailableReason`
// say which runs and why (log once, export as a metric).
import { dgramImpl } from './dgram-twin.js';
import { loadNative } from './load.js';
import { nativeImpl } from './native.js';
import type { Implementation, OpenOptions, UdpBatchImpl, UdpBatchSocket } from './types.js';

const load = loadNative();

/** The native implementation, or null when it is not there (see nativeUnavailableReason). */
export const native: UdpBatchImpl | null = load.binding ? nativeImpl(load.binding) : null;
/** The dgram twin (always there). */
export const dgram: UdpBatchImpl = dgramImpl;
/** The implementation openSocket uses. */
export const selected: UdpBatchImpl = native ?? dgram;
export const implementation: Implementation = selected.implementation;
/** Why the native implementation is not running (null when it is). */
export const nativeUnavailableReason: string | null = load.reason;

/** Opens and binds a socket with the selected implementation. */
export function openSocket(options: OpenOptions): Promise<UdpBatchSocket> {
  return selected.open(options);
}

export { UdpBatchError, UdpBatchErrorCode } from './errors.js';
export { META_BYTES, META_WORDS, Meta, metaAddress, metaArray, metaTruncated, setMeta } from './layout.js';
export { DGRAM_REUSE_PORT } from './dgram-twin.js';
export { Outbox, type OutboxOptions } from './outbox.js';
export { STEERING_MAX_SOURCES, steeringProgram, workerOf, type SteeringOptions } from './steering.js';
export type {
  BatchMemory, Implementation, OpenOptions, SlotRegion, SocketStats, SocketType, UdpBatchImpl, UdpBatchSocket, WasmMemoryLike,
} from './types.js';
