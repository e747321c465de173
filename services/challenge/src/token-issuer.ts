import { ed25519 } from '@noble/curves/ed25519.js';
import { assembleToken, encodeTokenClaims, type Endpoint, type PublicKeyRecord } from '@flowshield/proto';
import { deriveSigningSeed } from './key-derivation.js';

/**
 * Signs verified tokens with Ed25519 (@noble/curves). The seed is derived from the master secret
 * and stays in this process; edges and other verifiers get the public key record only.
 */
export class TokenIssuer {
  readonly signingKeyId: number;
  readonly publicKey: Uint8Array;
  private readonly seed: Uint8Array;

  constructor(master: Uint8Array, signingKeyId: number) {
    this.signingKeyId = signingKeyId >>> 0;
    this.seed = deriveSigningSeed(master, this.signingKeyId);
    this.publicKey = ed25519.getPublicKey(this.seed);
  }

  publicKeyRecord(): PublicKeyRecord {
    return { signingKeyId: this.signingKeyId, notAfter: 0, publicKey: this.publicKey };
  }

  /** A token for `client` (port 0 = any) towards `target` (all-zero address = any). */
  issue(client: Endpoint, target: Endpoint, nowSeconds: number, ttlSeconds: number): { token: Uint8Array; expiresAt: number } {
    const expiresAt = nowSeconds + ttlSeconds;
    const claims = encodeTokenClaims({ signingKeyId: this.signingKeyId, issuedAt: nowSeconds, expiresAt, client, target });
    return { token: assembleToken(claims, ed25519.sign(claims, this.seed)), expiresAt };
  }

  /** Never print key material, even by accident (util.inspect, JSON.stringify, pino). */
  toJSON(): object {
    return { signingKeyId: this.signingKeyId };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `TokenIssuer { signingKeyId: ${this.signingKeyId} }`;
  }
}
