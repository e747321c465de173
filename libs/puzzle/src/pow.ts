import { sha256 } from '@noble/hashes/sha2.js';
import { NONCE_SIZE, POW_INPUT_SIZE, TAG_SIZE } from '@flowshield/proto';

type Sha256 = ReturnType<typeof sha256.create>;

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

/**
 * Checks and searches proof-of-work solutions for one challenge: SHA-256(tag ‖ nonce ‖ index ‖ solution)
 * (29 bytes, one block). One instance per caller; it reuses its buffers, so it is not re-entrant.
 */
export class PowHasher {
  private readonly input = new Uint8Array(POW_INPUT_SIZE);
  private readonly digest = new Uint8Array(32);
  private readonly empty: Sha256 = sha256.create();
  private readonly scratch: Sha256 = sha256.create();

  /** Loads tag and nonce (views into a packet are fine; they are copied). */
  load(tag: Uint8Array, nonce: Uint8Array): void {
    this.input.set(tag.subarray(0, TAG_SIZE), 0);
    this.input.set(nonce.subarray(0, NONCE_SIZE), TAG_SIZE);
  }

  /** Hashes (index, solution) and returns the digest (a buffer reused by the next call). */
  hash(index: number, solution: number): Uint8Array {
    const input = this.input;
    input[24] = index;
    input[25] = solution >>> 24;
    input[26] = (solution >>> 16) & 0xff;
    input[27] = (solution >>> 8) & 0xff;
    input[28] = solution & 0xff;
    const h = this.empty._cloneInto(this.scratch);
    h.update(input);
    h.digestInto(this.digest);
    return this.digest;
  }

  check(index: number, solution: number, difficulty: number): boolean {
    return difficulty === 0 || hasLeadingZeroBits(this.hash(index, solution), difficulty);
  }
}
