import type { Endpoint } from './endpoint.js';
import {
  ANSWER_HEADER_SIZE, ANSWER_MAGIC, CHALLENGE_MAGIC, CHALLENGE_SIZE, CHALLENGE_VERSION, HELLO_MAGIC, HELLO_SIZE,
  MAC_INPUT_SIZE, MAX_DIFFICULTY_BITS, Offset, SOLUTION_SIZE, isValidSubPuzzleCount,
} from './layout.js';

/** The fields a challenge carries, decoded. Byte arrays are views into the packet (no copies). */
export interface ChallengeFields {
  keyId: number;
  issuedAt: number;
  difficulty: number;
  subPuzzles: number;
  nonce: Uint8Array;
  clientAddress: Uint8Array;
  clientPort: number;
  tag: Uint8Array;
}

/** An answer: the challenge fields, the solutions, and whatever payload follows them. */
export interface AnswerFields extends ChallengeFields {
  solutions: Uint32Array;
  payload: Uint8Array;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads the magic (first 4 bytes) as a u32, or 0 when the packet is shorter. */
export function packetMagic(buf: Uint8Array): number {
  if (buf.length < 4) return 0;
  return ((buf[0]! << 24) | (buf[1]! << 16) | (buf[2]! << 8) | buf[3]!) >>> 0;
}

export const isChallengePacket = (buf: Uint8Array): boolean => packetMagic(buf) === CHALLENGE_MAGIC;
export const isAnswerPacket = (buf: Uint8Array): boolean => packetMagic(buf) === ANSWER_MAGIC;
export const isHelloPacket = (buf: Uint8Array): boolean => packetMagic(buf) === HELLO_MAGIC;

/**
 * Writes the 55-byte MAC input: bytes 4..23 of a challenge/answer (version … nonce), then the
 * client and protected endpoints. `head` is the packet itself.
 */
export function writeMacInput(out: Uint8Array, head: Uint8Array, client: Endpoint, target: Endpoint): void {
  out.set(head.subarray(Offset.version, Offset.clientAddress), 0);
  out.set(client.address, 19);
  out[35] = client.port >>> 8;
  out[36] = client.port & 0xff;
  out.set(target.address, 37);
  out[53] = target.port >>> 8;
  out[54] = target.port & 0xff;
}
export { MAC_INPUT_SIZE };

/**
 * Writes a challenge without its tag (bytes 0..41); the caller computes the tag over the MAC input
 * and stores it at Offset.tag.
 */
export function writeChallengeHead(
  out: Uint8Array,
  f: { keyId: number; issuedAt: number; difficulty: number; subPuzzles: number; nonce: Uint8Array; client: Endpoint },
): void {
  const v = view(out);
  v.setUint32(Offset.magic, CHALLENGE_MAGIC);
  out[Offset.version] = CHALLENGE_VERSION;
  v.setUint32(Offset.keyId, f.keyId >>> 0);
  v.setUint32(Offset.issuedAt, f.issuedAt >>> 0);
  out[Offset.difficulty] = f.difficulty;
  out[Offset.subPuzzles] = f.subPuzzles;
  out.set(f.nonce.subarray(0, 8), Offset.nonce);
  out.set(f.client.address, Offset.clientAddress);
  v.setUint16(Offset.clientPort, f.client.port);
}

/** Checks the parts common to challenges and answers; returns null when well formed. */
function headProblem(buf: Uint8Array, magic: number, minSize: number): string | null {
  if (buf.length < minSize) return 'short';
  if (packetMagic(buf) !== magic) return 'magic';
  if (buf[Offset.version] !== CHALLENGE_VERSION) return 'version';
  if (buf[Offset.difficulty]! > MAX_DIFFICULTY_BITS) return 'difficulty';
  if (!isValidSubPuzzleCount(buf[Offset.subPuzzles]!)) return 'sub_puzzles';
  return null;
}

function readFields(buf: Uint8Array): ChallengeFields {
  const v = view(buf);
  return {
    keyId: v.getUint32(Offset.keyId),
    issuedAt: v.getUint32(Offset.issuedAt),
    difficulty: buf[Offset.difficulty]!,
    subPuzzles: buf[Offset.subPuzzles]!,
    nonce: buf.subarray(Offset.nonce, Offset.nonce + 8),
    clientAddress: buf.subarray(Offset.clientAddress, Offset.clientAddress + 16),
    clientPort: v.getUint16(Offset.clientPort),
    tag: buf.subarray(Offset.tag, Offset.tag + 16),
  };
}

/** Decodes a challenge; returns a short problem string ('short', 'magic', …) when malformed. */
export function decodeChallenge(buf: Uint8Array): ChallengeFields | string {
  const problem = headProblem(buf, CHALLENGE_MAGIC, CHALLENGE_SIZE);
  if (problem) return problem;
  if (buf.length !== CHALLENGE_SIZE) return 'length';
  return readFields(buf);
}

/**
 * Decodes an answer; returns a problem string when malformed. Solutions are copied (a small typed
 * array); everything else is a view into `buf`.
 */
export function decodeAnswer(buf: Uint8Array): AnswerFields | string {
  const problem = headProblem(buf, ANSWER_MAGIC, ANSWER_HEADER_SIZE);
  if (problem) return problem;
  const n = buf[Offset.subPuzzles]!;
  const end = ANSWER_HEADER_SIZE + SOLUTION_SIZE * n;
  if (buf.length < end) return 'short';
  const fields = readFields(buf) as AnswerFields;
  const v = view(buf);
  const solutions = new Uint32Array(n);
  for (let i = 0; i < n; i++) solutions[i] = v.getUint32(ANSWER_HEADER_SIZE + SOLUTION_SIZE * i);
  fields.solutions = solutions;
  fields.payload = buf.subarray(end);
  return fields;
}

/** Builds an answer from the challenge bytes, the solutions and an optional game payload. */
export function encodeAnswer(challenge: Uint8Array, solutions: ArrayLike<number>, payload?: Uint8Array): Uint8Array {
  const n = challenge[Offset.subPuzzles]!;
  if (solutions.length !== n) throw new RangeError(`expected ${n} solutions, got ${solutions.length}`);
  const size = ANSWER_HEADER_SIZE + SOLUTION_SIZE * n;
  const out = new Uint8Array(size + (payload?.length ?? 0));
  out.set(challenge.subarray(0, CHALLENGE_SIZE), 0);
  const v = view(out);
  v.setUint32(Offset.magic, ANSWER_MAGIC);
  for (let i = 0; i < n; i++) v.setUint32(ANSWER_HEADER_SIZE + SOLUTION_SIZE * i, solutions[i]! >>> 0);
  if (payload) out.set(payload, size);
  return out;
}

/** The SDK's first packet: magic, version, zero padding up to HELLO_SIZE (or `size`, if larger). */
export function encodeHello(size = HELLO_SIZE): Uint8Array {
  const out = new Uint8Array(Math.max(HELLO_SIZE, size));
  view(out).setUint32(0, HELLO_MAGIC);
  out[4] = CHALLENGE_VERSION;
  return out;
}
