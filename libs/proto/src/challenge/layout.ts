/**
 * Byte layouts of the challenge protocol, version 1 (DESIGN.md section 6). Every packet starts with
 * a 4-byte magic and a version byte. Integers are big-endian. Addresses are 16 bytes (IPv4 is
 * IPv4-mapped, ::ffff:a.b.c.d) so one layout serves both families.
 *
 * Challenge (edge → client), 57 bytes:
 *
 *   off len field
 *     0   4 magic "FSCH"
 *     4   1 version (1)
 *     5   4 keyId          epoch key that made the tag
 *     9   4 issuedAt       UNIX seconds
 *    13   1 difficulty     leading zero bits required per sub-puzzle
 *    14   1 subPuzzles     1, 2, 4, 8 or 16 independent sub-puzzles
 *    15   8 nonce          random per challenge
 *    23  16 clientAddress  the source address the edge saw (see below)
 *    39   2 clientPort     the source port the edge saw
 *    41  16 tag            first 128 bits of HMAC-SHA256(epochKey, macInput)
 *
 * MAC input, 55 bytes (so that SHA-256's inner hash is a single block):
 *   version ‖ keyId ‖ issuedAt ‖ difficulty ‖ subPuzzles ‖ nonce (bytes 4..23 of the packet, 19)
 *   ‖ client address (16) ‖ client port (2) ‖ protected address (16) ‖ protected port (2)
 * At verify time the client address and port come from the answer's UDP/IP headers. The echo must
 * equal them (so every header byte is covered), which also lets the verifier say *why* an answer
 * failed: wrong address, wrong port, or a tampered field (bad tag).
 *
 * Answer (client → edge), 57 + 4·subPuzzles bytes, then optionally the game payload:
 *
 *     0   4 magic "FSAN"
 *     4   1 version (1)
 *     5  52 bytes 5..57 of the challenge, unchanged (keyId … tag)
 *    57 4·n solutions      u32 each, one per sub-puzzle
 *    … rest               game payload: the edge forwards it to the origin once the answer verifies
 *
 * Proof of work for sub-puzzle i: SHA-256(tag ‖ nonce ‖ i (u8) ‖ solution_i (u32)) — 29 bytes, one
 * block — must start with `difficulty` zero bits. Effective work is difficulty + log2(subPuzzles)
 * bits; the same mean as one puzzle of that many bits, with a much shorter tail (FACTS.md).
 *
 * Hello (client → edge), 64 bytes: magic "FSHI", version, zero padding. The SDK's first packet; it
 * is larger than any challenge, so a challenge sent in reply never amplifies. Never forwarded.
 */
export const CHALLENGE_VERSION = 1;

/** "FSCH", "FSAN", "FSHI", "FSTK" as big-endian u32, for one-compare recognition. */
export const CHALLENGE_MAGIC = 0x46534348;
export const ANSWER_MAGIC = 0x4653414e;
export const HELLO_MAGIC = 0x46534849;
export const TOKEN_MAGIC = 0x4653544b;

export const CHALLENGE_SIZE = 57;
export const ANSWER_HEADER_SIZE = 57;
export const HELLO_SIZE = 64;
export const MAC_INPUT_SIZE = 55;
export const TAG_SIZE = 16;
export const NONCE_SIZE = 8;
export const SOLUTION_SIZE = 4;
export const POW_INPUT_SIZE = 29;

/** Offsets shared by the challenge and the answer (the answer repeats bytes 5..57). */
export const Offset = {
  magic: 0,
  version: 4,
  keyId: 5,
  issuedAt: 9,
  difficulty: 13,
  subPuzzles: 14,
  nonce: 15,
  clientAddress: 23,
  clientPort: 39,
  tag: 41,
  solutions: 57,
} as const;

/** Largest per-sub-puzzle difficulty a challenge may ask for (u32 solutions must suffice). */
export const MAX_DIFFICULTY_BITS = 26;
export const MAX_SUB_PUZZLES = 16;

/** True for 1, 2, 4, 8, 16. */
export function isValidSubPuzzleCount(n: number): boolean {
  return n >= 1 && n <= MAX_SUB_PUZZLES && (n & (n - 1)) === 0;
}

/** log2 of a valid sub-puzzle count. */
export function subPuzzleBits(n: number): number {
  return 31 - Math.clz32(n);
}

export function answerSize(subPuzzles: number): number {
  return ANSWER_HEADER_SIZE + SOLUTION_SIZE * subPuzzles;
}
