import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { DecodeError } from '../errors.js';

/*
 * Operator keys: Ed25519 with node:crypto (no I/O here; callers read and write the files).
 *  - private key: PKCS#8 PEM (`operator.key`, mode 0600), what `openssl pkey` also reads;
 *  - public key as text: `ed25519:` + 64 lower-case hex digits of the raw 32-byte key — the
 *    format of `operator.pub` and of an edge's `operatorKeys`.
 * A signed record carries the raw public key beside the signature, so an edge finds the key it
 * must check against without a separate key-id lookup, and refuses any key it was not given.
 */

export const OPERATOR_KEY_PREFIX = 'ed25519:';
export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

/** What a signed record carries: who signed (the raw public key) and the signature. */
export interface OperatorSignature {
  publicKey: Uint8Array;
  value: Uint8Array;
}

export const OperatorKeyCode = {
  BAD_PUBLIC_KEY: 'FS_ERR_PROTO_OPERATOR_PUBLIC_KEY',
  BAD_PRIVATE_KEY: 'FS_ERR_PROTO_OPERATOR_PRIVATE_KEY',
} as const;

// DER SubjectPublicKeyInfo header of an Ed25519 key: the raw 32 bytes follow it.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function publicKeyToText(raw: Uint8Array): string {
  return OPERATOR_KEY_PREFIX + Buffer.from(raw).toString('hex');
}

/** `ed25519:<64 hex>` → the raw 32 bytes; throws DecodeError naming the problem. */
export function publicKeyFromText(text: string): Uint8Array {
  const hex = text.trim();
  if (!hex.startsWith(OPERATOR_KEY_PREFIX) || !/^[0-9a-f]{64}$/.test(hex.slice(OPERATOR_KEY_PREFIX.length))) {
    throw new DecodeError(OperatorKeyCode.BAD_PUBLIC_KEY, `operator public key must be ${OPERATOR_KEY_PREFIX} followed by 64 lower-case hex digits`);
  }
  return new Uint8Array(Buffer.from(hex.slice(OPERATOR_KEY_PREFIX.length), 'hex'));
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Signs canonical bytes with one operator private key. */
export class OperatorSigner {
  private constructor(private readonly key: KeyObject, readonly publicKey: Uint8Array) {}

  static generate(): { signer: OperatorSigner; privatePem: string } {
    const { privateKey } = generateKeyPairSync('ed25519');
    const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return { signer: OperatorSigner.fromPem(privatePem), privatePem };
  }

  static fromPem(pem: string): OperatorSigner {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: pem, format: 'pem' });
    } catch (cause) {
      throw new DecodeError(OperatorKeyCode.BAD_PRIVATE_KEY, `not a PEM private key: ${(cause as Error).message}`, { cause });
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new DecodeError(OperatorKeyCode.BAD_PRIVATE_KEY, `operator key must be Ed25519, not ${key.asymmetricKeyType}`);
    const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
    return new OperatorSigner(key, new Uint8Array(spki.subarray(SPKI_PREFIX.length)));
  }

  get publicKeyText(): string {
    return publicKeyToText(this.publicKey);
  }

  sign(message: Uint8Array): OperatorSignature {
    return { publicKey: this.publicKey.slice(), value: new Uint8Array(sign(null, message, this.key)) };
  }
}

/**
 * The operator keys a verifier trusts. `check` says whether a signature is by one of them and
 * verifies over `message`: 'unsigned' (none), 'bad_signature' (another key, or it does not verify).
 */
export class OperatorKeySet {
  private readonly keys = new Map<string, KeyObject>();

  constructor(publicKeys: readonly (string | Uint8Array)[]) {
    for (const k of publicKeys) {
      const raw = typeof k === 'string' ? publicKeyFromText(k) : k;
      this.keys.set(publicKeyToText(raw), publicKeyObject(raw));
    }
  }

  get size(): number {
    return this.keys.size;
  }

  check(message: Uint8Array, signature: OperatorSignature | null): 'ok' | 'unsigned' | 'bad_signature' {
    if (signature === null) return 'unsigned';
    const key = this.keys.get(publicKeyToText(signature.publicKey));
    if (!key || signature.value.length !== ED25519_SIGNATURE_SIZE) return 'bad_signature';
    try {
      return verify(null, message, key, signature.value) ? 'ok' : 'bad_signature';
    } catch {
      return 'bad_signature';
    }
  }
}
