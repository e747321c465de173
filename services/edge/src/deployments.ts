import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { PROGRAMS_BUCKET, decodeDeployment, deploymentKey, tenantOfKey, type TenantDeployment } from '@flowshield/proto';

export interface DeploymentWatcherOptions {
  tenants: readonly string[];
  onDeployment: (deployment: TenantDeployment) => void;
  onBadRecord: (key: string, err: unknown) => void;
}

/**
 * Follows the deployments bucket: every current record of this edge's tenants at start, then each
 * update as it is written. Decoding happens here; loading and swapping is the tenant runtime's.
 */
export class DeploymentWatcher {
  private watcher: { stop(): void } | null = null;
  private stopped = false;

  private constructor(private readonly kv: KV, private readonly options: DeploymentWatcherOptions) {}

  static async start(nc: NatsConnection, options: DeploymentWatcherOptions): Promise<DeploymentWatcher> {
    // Edges may not create buckets: the operator's `deploy` (or `flowshield start`) makes this one.
    // `open` binds without asking the server, so look once: a missing bucket throws and is retried.
    const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
    await kv.status();
    const watcher = new DeploymentWatcher(kv, options);
    const wanted = new Set(options.tenants);
    // Watching every key (not one per tenant) keeps one consumer per edge; others' tenants are skipped.
    const iter = await kv.watch({ key: 'tenant.>' });
    watcher.watcher = iter;
    void (async () => {
      for await (const entry of iter) {
        if (watcher.stopped) break;
        const tenant = tenantOfKey(entry.key);
        if (!tenant || !wanted.has(tenant) || entry.operation !== 'PUT') continue;
        watcher.apply(entry.key, entry.value);
      }
    })();
    for (const tenant of options.tenants) {
      const entry = await kv.get(deploymentKey(tenant));
      if (entry && entry.operation === 'PUT') watcher.apply(entry.key, entry.value);
    }
    return watcher;
  }

  private apply(key: string, value: Uint8Array): void {
    let deployment: TenantDeployment;
    try {
      deployment = decodeDeployment(value);
    } catch (err) {
      this.options.onBadRecord(key, err);
      return;
    }
    // A signed record of one tenant copied under another's key is still not that tenant's record.
    if (deploymentKey(deployment.tenant) !== key) {
      this.options.onBadRecord(key, new Error(`record names tenant ${JSON.stringify(deployment.tenant)} under key ${key}`));
      return;
    }
    this.options.onDeployment(deployment);
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.stop();
  }
}
