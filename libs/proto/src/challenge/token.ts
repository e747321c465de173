import { DecodeError } from '../errors.js';
import type { Endpoint } from './endpoint.js';
import { CHALLENGE_VERSION, TOKEN_MAGIC } from './layout.js';
import { ChallengeDecodeCode } from './reasons.js';

/**
 * Verified token, version 1 (117 bytes), signed with Ed25519 by the challenge service so that any
 * edge holding only public keys can check it (a roaming client keeps its standing; a matchmaker
 * can pre-authorise a player before the first packet).
 *
 *   off len field
 *     0   4 magic "FSTK"
 *     4   1 version (1)
 *     5   4 signingKeyId     which service key signed it
 *     9   4 issuedAt         UNIX seconds
 *    13   4 expiresAt        UNIX seconds
 *    17  16 clientAddress    the verified source address
 *    33   2 clientPort       0 = any port (NAT rebinding, roaming)
 *    35  16 targetAddress    protected service; all zero = any
 *    51   2 targetPort       0 = any
 *    53  64 signature        Ed25519 over bytes 0..53
 */
export const TOKEN_SIZE = 117;
export const TOKEN_SIGNED_SIZE = 53;

export interface TokenClaims {
  signingKeyId: number;
  issuedAt: number;
  expiresAt: number;
  client: Endpoint;
  target: Endpoint;
}

export interface DecodedToken extends TokenClaims {
  signed: Uint8Array;
  signature: Uint8Array;
}

/** The 53 bytes that get signed. */
export function encodeTokenClaims(c: TokenClaims): Uint8Array {
  const out = new Uint8Array(TOKEN_SIGNED_SIZE);
  const v = new DataView(out.buffer);
  v.setUint32(0, TOKEN_MAGIC);
  out[4] = CHALLENGE_VERSION;
  v.setUint32(5, c.signingKeyId >>> 0);
  v.setUint32(9, c.issuedAt >>> 0);
  v.setUint32(13, c.expiresAt >>> 0);
  out.set(c.client.address, 17);
  v.setUint16(33, c.client.port);
  out.set(c.target.address, 35);
  v.setUint16(51, c.target.port);
  return out;
}

export function assembleToken(signedClaims: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signedClaims.length !== TOKEN_SIGNED_SIZE || signature.length !== 64) throw new RangeError('bad token parts');
  const out = new Uint8Array(TOKEN_SIZE);
  out.set(signedClaims, 0);
  out.set(signature, TOKEN_SIGNED_SIZE);
  return out;
}

/** Decodes a token (views into `buf`); throws DecodeError when malformed. Does not check the signature. */
export function decodeToken(buf: Uint8Array): DecodedToken {
  if (buf.length !== TOKEN_SIZE) throw new DecodeError(ChallengeDecodeCode.SHORT, `token is ${TOKEN_SIZE} bytes, got ${buf.length}`);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getUint32(0) !== TOKEN_MAGIC) throw new DecodeError(ChallengeDecodeCode.MAGIC, 'not a token');
  if (buf[4] !== CHALLENGE_VERSION) throw new DecodeError(ChallengeDecodeCode.VERSION, `token version ${buf[4]}`);
  return {
    signingKeyId: v.getUint32(5),
    issuedAt: v.getUint32(9),
    expiresAt: v.getUint32(13),
    client: { address: buf.subarray(17, 33), port: v.getUint16(33) },
    target: { address: buf.subarray(35, 51), port: v.getUint16(51) },
    signed: buf.subarray(0, TOKEN_SIGNED_SIZE),
    signature: buf.subarray(TOKEN_SIGNED_SIZE, TOKEN_SIZE),
  };
}
