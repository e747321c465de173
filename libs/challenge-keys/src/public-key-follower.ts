import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CHALLENGE_PUBKEY_BUCKET, decodePublicKeyRecord } from '@flowshield/proto';
import type { TokenVerifier } from '@flowshield/puzzle';

export interface PublicKeyFollowerOptions {
  /** Called for a record that does not decode (counted and logged by the caller; never thrown). */
  onBadRecord?: (key: string, err: unknown) => void;
}

/**
 * Keeps a TokenVerifier in step with the challenge service's Ed25519 public keys, so an edge can
 * accept verified tokens (a client verified elsewhere, or pre-authorised by a matchmaker) while
 * holding no secret at all.
 */
export class PublicKeyFollower {
  private stopped = false;
  private watcher: { stop(): void } | null = null;

  private constructor(private readonly kv: KV, private readonly verifier: TokenVerifier, private readonly options: PublicKeyFollowerOptions) {}

  /** Loads every current key, then follows updates. Resolves once the initial load is done. */
  static async start(nc: NatsConnection, verifier: TokenVerifier, options: PublicKeyFollowerOptions = {}): Promise<PublicKeyFollower> {
    const kv = await new Kvm(nc).open(CHALLENGE_PUBKEY_BUCKET);
    await kv.status(); // `open` binds blindly: throw (for the caller to retry) until the challenge service made the bucket
    const follower = new PublicKeyFollower(kv, verifier, options);
    for await (const key of await kv.keys()) {
      const entry = await kv.get(key);
      if (entry && entry.operation === 'PUT') follower.apply(key, entry.value);
    }
    const iter = await kv.watch();
    follower.watcher = iter;
    void (async () => {
      for await (const entry of iter) {
        if (follower.stopped) break;
        if (entry.operation === 'PUT') follower.apply(entry.key, entry.value);
        else follower.verifier.removePublicKey(Number(entry.key.split('.')[1]));
      }
    })();
    return follower;
  }

  private apply(key: string, value: Uint8Array): void {
    try {
      this.verifier.addPublicKey(decodePublicKeyRecord(value));
    } catch (err) {
      this.options.onBadRecord?.(key, err);
    }
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
  }
}
