import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { CHALLENGE_EPOCH_BUCKET, decodeEpochKeyRecord } from '@flowshield/proto';
import type { KeyRing } from '@flowshield/puzzle';

export interface EpochKeyFollowerOptions {
  /** Called for a record that does not decode (counted and logged by the caller; never thrown). */
  onBadRecord?: (key: string, err: unknown) => void;
}

/**
 * Keeps a KeyRing in step with the epoch-key KV bucket: what an edge runs to receive per-epoch keys
 * (it never sees the master secret). The packet path reads the ring synchronously; this class does
 * the I/O beside it. Pruning expired keys is the ring owner's job (`ring.prune(now)` on a timer).
 */
export class EpochKeyFollower {
  private stopped = false;
  private watcher: { stop(): void } | null = null;

  private constructor(private readonly kv: KV, private readonly ring: KeyRing, private readonly options: EpochKeyFollowerOptions) {}

  /** Loads every current record, then follows updates. Resolves once the initial load is done. */
  static async start(nc: NatsConnection, ring: KeyRing, options: EpochKeyFollowerOptions = {}): Promise<EpochKeyFollower> {
    const kv = await new Kvm(nc).open(CHALLENGE_EPOCH_BUCKET);
    await kv.status(); // `open` binds blindly: throw (for the caller to retry) until the challenge service made the bucket
    const follower = new EpochKeyFollower(kv, ring, options);
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    for (const k of keys) {
      const e = await kv.get(k);
      if (e && e.operation === 'PUT') follower.apply(k, e.value);
    }
    const iter = await kv.watch();
    follower.watcher = iter;
    void (async () => {
      for await (const e of iter) {
        if (follower.stopped) break;
        if (e.operation === 'PUT') follower.apply(e.key, e.value);
        else follower.ring.remove(Number(e.key.split('.')[1]));
      }
    })();
    return follower;
  }

  private apply(key: string, value: Uint8Array): void {
    try {
      this.ring.upsert(decodeEpochKeyRecord(value));
    } catch (err) {
      this.options.onBadRecord?.(key, err);
    }
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
  }
}
