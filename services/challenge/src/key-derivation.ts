import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ChallengeConfigError } from './errors.js';

const SALT = new TextEncoder().encode('flowshield/challenge/v1');

/**
 * Every secret the service hands out is derived from its master secret with HKDF-SHA256, so the
 * master never leaves this process: edges receive per-epoch keys, which are worthless a couple of
 * minutes later, and cannot compute any other epoch's key from them.
 */
export function deriveEpochKey(master: Uint8Array, keyId: number): Uint8Array {
  return hkdf(sha256, master, SALT, new TextEncoder().encode(`epoch-key/${keyId >>> 0}`), 32);
}

/** The Ed25519 seed of token signing key `signingKeyId`. */
export function deriveSigningSeed(master: Uint8Array, signingKeyId: number): Uint8Array {
  return hkdf(sha256, master, SALT, new TextEncoder().encode(`token-signing/${signingKeyId >>> 0}`), 32);
}

/**
 * The HMAC key of PFP helpers 8, 9 and 20 for `tenant`: the same on every edge and across
 * restarts of anything (it depends on the master secret, the tenant name and the key version
 * only), and independent between tenants (the name is in HKDF's info, after a label that no other
 * derivation here uses).
 */
export function deriveTenantKey(master: Uint8Array, tenant: string, keyVersion: number): Uint8Array {
  return hkdf(sha256, master, SALT, new TextEncoder().encode(`tenant-hmac/${keyVersion >>> 0}/${tenant}`), 32);
}

/** Parses a master secret given as hex (at least 32 bytes). */
export function parseMasterKey(hex: string): Uint8Array {
  const clean = hex.trim();
  if (!/^[0-9a-fA-F]+$/.test(clean) || clean.length % 2 !== 0 || clean.length < 64) {
    throw new ChallengeConfigError('the master key must be at least 32 bytes of hex (64 hex digits)');
  }
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
