import { _SHA256 } from '@noble/hashes/sha2.js';
import { MAX_DIFFICULTY_BITS, NONCE_SIZE, POW_INPUT_SIZE, TAG_SIZE } from '@flowshield/proto';

/** Number of leading zero bits of `digest`. */
export function leadingZeroBits(digest: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < digest.length; i++) {
    const b = digest[i]!;
    if (b === 0) { n += 8; continue; }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** True when the first `bits` bits of `digest` are zero (stops at the first non-zero byte). */
export function hasLeadingZeroBits(digest: Uint8Array, bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (digest[i] !== 0) return false;
  return bits === 0 || (digest[i]! >>> (8 - bits)) === 0;
}

if (MAX_DIFFICULTY_BITS > 32) throw new Error('PowHasher reads only the first digest word');

/**
 * noble's SHA-256 compression, driven directly: a proof-of-work input (29 bytes) always fits one
 * padded block, and the difficulty (≤ 26 bits) is decided by the first digest word alone. Going
 * through `update()/digestInto()` instead costs a clone, buffer copies and the padding logic per
 * hash — about twice the compression itself. Only the padding is written here; the compression is
 * noble's, and tests compare the result with `sha256()` on random inputs.
 */
class OneBlockSha256 extends _SHA256 {
  private readonly iv = this.get();

  /** SHA-256 of a message already padded into one 64-byte block; returns the first digest word. */
  firstWord(block: DataView): number {
    const iv = this.iv;
    this.set(iv[0], iv[1], iv[2], iv[3], iv[4], iv[5], iv[6], iv[7]);
    this.process(block, 0);
    return this.A >>> 0;
  }
}

/**
 * Checks and searches proof-of-work solutions for one challenge: SHA-256(tag ‖ nonce ‖ index (u8) ‖
 * solution (u32 BE)) must start with `difficulty` zero bits. One instance per caller; it reuses its
 * buffers, so it is not re-entrant.
 */
export class PowHasher {
  private readonly block = new Uint8Array(64);
  private readonly view = new DataView(this.block.buffer);
  private readonly sha = new OneBlockSha256();

  constructor() {
    // SHA-256 padding of a 29-byte message: 0x80, zeros, then the length in bits (232) big-endian.
    this.block[POW_INPUT_SIZE] = 0x80;
    this.view.setUint32(60, POW_INPUT_SIZE * 8);
  }

  /** Loads tag and nonce (views into a packet are fine; they are copied). */
  load(tag: Uint8Array, nonce: Uint8Array): void {
    this.block.set(tag.subarray(0, TAG_SIZE), 0);
    this.block.set(nonce.subarray(0, NONCE_SIZE), TAG_SIZE);
  }

  /** First 32 bits of the digest for (index, solution). */
  firstWord(index: number, solution: number): number {
    this.block[24] = index;
    this.view.setUint32(25, solution >>> 0);
    return this.sha.firstWord(this.view);
  }

  check(index: number, solution: number, difficulty: number): boolean {
    return difficulty === 0 || Math.clz32(this.firstWord(index, solution)) >= difficulty;
  }
}
