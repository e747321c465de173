/**
 * The metadata record, shared by receive and send so a received record becomes a reply or a relay
 * by rewriting a field or two (see README "Memory layout"). Eight u32 words (32 bytes) per
 * datagram, in a Uint32Array the caller owns (it may sit in wasm linear memory too):
 *
 *   word 0  OFFSET      byte offset of the datagram in the memory (recv writes the slot's offset)
 *   word 1  LENGTH      bytes in the slot (recv) / bytes to send (send)
 *   word 2  PORT        source port (recv) / destination port (send)
 *   word 3  DGRAM_LEN   recv: the datagram's real length; > LENGTH means truncated. send: ignored
 *   words 4–7 ADDRESS   16 bytes, network order, IPv4 mapped into ::ffff:0:0/96
 */
export const META_WORDS = 8;
export const META_BYTES = META_WORDS * 4;
export const Meta = {
  OFFSET: 0,
  LENGTH: 1,
  PORT: 2,
  DGRAM_LEN: 3,
  ADDRESS: 4,
} as const;

/** A metadata array for n datagrams. */
export function metaArray(n: number, memory?: { buffer: ArrayBufferLike }, byteOffset = 0): Uint32Array {
  return memory ? new Uint32Array(memory.buffer, byteOffset, n * META_WORDS) : new Uint32Array(n * META_WORDS);
}

/** The 16 address bytes of record i (a view, no copy). */
export function metaAddress(meta: Uint32Array, i: number): Uint8Array {
  return new Uint8Array(meta.buffer, meta.byteOffset + i * META_BYTES + Meta.ADDRESS * 4, 16);
}

/** Whether record i (a received one) was truncated to its slot. */
export function metaTruncated(meta: Uint32Array, i: number): boolean {
  const b = i * META_WORDS;
  return meta[b + Meta.DGRAM_LEN]! > meta[b + Meta.LENGTH]!;
}

/** Writes a send record: offset, length, destination (16 bytes) and port. */
export function setMeta(meta: Uint32Array, i: number, offset: number, length: number, address: Uint8Array, port: number): void {
  const b = i * META_WORDS;
  meta[b + Meta.OFFSET] = offset;
  meta[b + Meta.LENGTH] = length;
  meta[b + Meta.PORT] = port;
  meta[b + Meta.DGRAM_LEN] = length;
  metaAddress(meta, i).set(address);
}
