import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ChallengeSubject, TENANT_KEY_BUCKET, decodeApiMessage, decodeTenantKeyRecord, encodeApiMessage, tenantKeyKvKey, tenantOfKey,
  type TenantKeyReply, type TenantKeyRequest,
} from '@flowshield/proto';

export interface TenantKeyFollowerOptions {
  /** the tenants this edge serves: only their keys are kept */
  tenants: readonly string[];
  /** a tenant's key arrived or changed (a Uint8Array), or was deleted (null) */
  onKey: (tenant: string, key: Uint8Array | null) => void;
  /** Called for a record that does not decode (counted and logged by the caller; never thrown). */
  onBadRecord?: (key: string, err: unknown) => void;
  /** Called when asking the challenge service failed (it retries on its own). */
  onRequestFailed?: (tenant: string, err: unknown) => void;
  /** how often tenants still without a key are asked for again (default 1,000 ms) */
  retryMs?: number;
  /** how long one request waits for the challenge service (default 2,000 ms) */
  requestTimeoutMs?: number;
}

/**
 * Keeps the per-tenant HMAC keys of PFP helpers 8, 9 and 20 in step with the `fs-tenant-keys` KV
 * bucket, which only the challenge service writes (it derives each key from its master secret, so
 * every edge and every restart gets the same key). A tenant without a record is asked for on
 * `fs.challenge.tenant-key`, again every `retryMs` until its key arrives; updates and deletions
 * are followed. The packet path reads the keys the caller stored synchronously.
 */
export class TenantKeyFollower {
  private stopped = false;
  private watcher: { stop(): void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly held = new Set<string>();
  private readonly wanted: ReadonlySet<string>;

  private constructor(private readonly nc: NatsConnection, private readonly options: TenantKeyFollowerOptions) {
    this.wanted = new Set(options.tenants);
  }

  /** Opens the bucket (throws while it does not exist), loads and follows it. */
  static async start(nc: NatsConnection, options: TenantKeyFollowerOptions): Promise<TenantKeyFollower> {
    const kv = await new Kvm(nc).open(TENANT_KEY_BUCKET);
    const follower = new TenantKeyFollower(nc, options);
    await follower.follow(kv);
    return follower;
  }

  /** Tenants whose key this follower holds. */
  get tenantsWithKey(): ReadonlySet<string> {
    return this.held;
  }

  private async follow(kv: KV): Promise<void> {
    const iter = await kv.watch();
    this.watcher = iter;
    void (async () => {
      for await (const e of iter) {
        if (this.stopped) break;
        if (e.operation === 'PUT') this.apply(e.key, e.value);
        else this.drop(e.key);
      }
    })();
    for (const tenant of this.wanted) {
      const e = await kv.get(tenantKeyKvKey(tenant));
      if (e && e.operation === 'PUT') this.apply(e.key, e.value);
    }
    this.askMissing();
    this.timer = setInterval(() => this.askMissing(), this.options.retryMs ?? 1_000);
    this.timer.unref();
  }

  private apply(key: string, value: Uint8Array): void {
    const tenant = tenantOfKey(key);
    if (!tenant || !this.wanted.has(tenant)) return;
    try {
      const record = decodeTenantKeyRecord(value);
      if (record.tenant !== tenant) throw new Error(`record for ${record.tenant} under ${key}`);
      this.held.add(tenant);
      this.options.onKey(tenant, record.key);
    } catch (err) {
      this.options.onBadRecord?.(key, err);
    }
  }

  private drop(key: string): void {
    const tenant = tenantOfKey(key);
    if (!tenant || !this.wanted.has(tenant)) return;
    this.held.delete(tenant);
    this.options.onKey(tenant, null);
  }

  /** Asks the challenge service to write the keys not yet held; the watch delivers them. */
  private askMissing(): void {
    for (const tenant of this.wanted) {
      if (this.held.has(tenant) || this.stopped) continue;
      const request: TenantKeyRequest = { v: 1, tenant };
      this.nc.request(ChallengeSubject.tenantKey, encodeApiMessage(request), { timeout: this.options.requestTimeoutMs ?? 2_000 }).then((msg) => {
        const reply = decodeApiMessage<TenantKeyReply>(msg.data);
        if (!reply.ok) this.options.onRequestFailed?.(tenant, new Error(`challenge service refused: ${reply.reason}`));
      }, (err: unknown) => {
        if (!this.stopped) this.options.onRequestFailed?.(tenant, err);
      });
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.stop();
  }
}
