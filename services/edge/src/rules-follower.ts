import { createHash } from 'node:crypto';
import { Kvm, KvWatchInclude, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  LISTS_BUCKET, PROGRAMS_BUCKET, RULES_BUCKET, decodeDeployment, decodeRulesDeployment, namedProgramKey, namedProgramOfKey, rulesKey, tenantOfKey,
  type RulesDeployment,
} from '@flowshield/proto';
import { parseRules, parseRulesFile, prefixListFromFile, ruleReferences } from '@flowshield/rules';
import type { PreparedRules, RulesSwapResult } from './tenant-rules.js';

export interface RulesFollowerOptions {
  tenants: readonly string[];
  /** the checks before anything is fetched (TenantRules.check) */
  check: (record: RulesDeployment) => { result: RulesSwapResult; reason: string } | null;
  onPrepared: (prepared: PreparedRules) => void;
  onRefused: (record: RulesDeployment, result: RulesSwapResult, reason: string) => void;
  onBadRecord: (key: string, err: unknown) => void;
}

/**
 * Follows the rules bucket as DeploymentWatcher follows the programs bucket: every tenant's
 * current record at start, then each new one. For a record that passes the checks it fetches
 * what the rules need — each pinned list from the object store, refused unless its SHA-256 is
 * the pinned one; each bpf() program from the programs bucket (`named.<tenant>.<name>`) — and
 * builds the lists, all on the main thread, off the packet path. When a named program a running
 * version calls is redeployed, the version is prepared again with it.
 */
export class RulesFollower {
  private readonly watchers: { stop(): void }[] = [];
  private stopped = false;
  private lists: ObjectStore | null = null;
  /** per tenant: the latest record seen, and whether a preparation is running */
  private readonly latest = new Map<string, RulesDeployment>();
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();

  private constructor(private readonly nc: NatsConnection, private readonly rules: KV, private readonly programs: KV, private readonly options: RulesFollowerOptions) {}

  static async start(nc: NatsConnection, options: RulesFollowerOptions): Promise<RulesFollower> {
    // The operator's first `rules deploy` creates the bucket: until then this throws and is retried.
    const rules = await new Kvm(nc).open(RULES_BUCKET);
    await rules.status();
    const programs = await new Kvm(nc).open(PROGRAMS_BUCKET);
    const follower = new RulesFollower(nc, rules, programs, options);
    const wanted = new Set(options.tenants);
    const iter = await rules.watch({ key: 'tenant.>' });
    follower.watchers.push(iter);
    void (async () => {
      for await (const entry of iter) {
        if (follower.stopped) break;
        const tenant = tenantOfKey(entry.key);
        if (!tenant || !wanted.has(tenant) || entry.operation !== 'PUT') continue;
        follower.receive(entry.key, tenant, entry.value);
      }
    })();
    const named = await programs.watch({ key: 'named.>', include: KvWatchInclude.UpdatesOnly });
    follower.watchers.push(named);
    void (async () => {
      for await (const entry of named) {
        if (follower.stopped) break;
        const at = namedProgramOfKey(entry.key);
        const record = at ? follower.latest.get(at.tenant) : undefined;
        if (at && record && follower.calls(record, at.name)) follower.prepare(at.tenant);
      }
    })();
    for (const tenant of options.tenants) {
      const entry = await rules.get(rulesKey(tenant));
      if (entry && entry.operation === 'PUT') follower.receive(entry.key, tenant, entry.value);
    }
    return follower;
  }

  private receive(key: string, tenant: string, value: Uint8Array): void {
    let record: RulesDeployment;
    try {
      record = decodeRulesDeployment(value);
    } catch (err) {
      this.options.onBadRecord(key, err);
      return;
    }
    if (record.tenant !== tenant) {
      this.options.onBadRecord(key, new Error(`record names tenant ${JSON.stringify(record.tenant)} under key ${key}`));
      return;
    }
    const latest = this.latest.get(tenant);
    if (latest && latest.version === record.version && latest.deployedAt === record.deployedAt && latest.sha256 === record.sha256) return;
    this.latest.set(tenant, record);
    this.prepare(tenant);
  }

  private calls(record: RulesDeployment, name: string): boolean {
    try {
      return ruleReferences(parseRulesFile(record.rules), parseRules(parseRulesFile(record.rules))).bpf.includes(name);
    } catch {
      return false;
    }
  }

  /** Prepares the tenant's latest record; one preparation per tenant at a time, the newest record wins. */
  private prepare(tenant: string): void {
    if (this.busy.has(tenant)) {
      this.again.add(tenant);
      return;
    }
    this.busy.add(tenant);
    void (async () => {
      try {
        do {
          this.again.delete(tenant);
          const record = this.latest.get(tenant)!;
          const refused = this.options.check(record);
          if (refused) {
            this.options.onRefused(record, refused.result, refused.reason);
            continue;
          }
          let prepared: PreparedRules;
          try {
            prepared = await this.fetch(record);
          } catch (err) {
            this.options.onRefused(record, 'refused', (err as Error).message);
            continue;
          }
          if (!this.stopped && this.latest.get(tenant) === record) this.options.onPrepared(prepared);
        } while (this.again.has(tenant) && !this.stopped);
      } finally {
        this.busy.delete(tenant);
      }
    })();
  }

  private async fetch(record: RulesDeployment): Promise<PreparedRules> {
    const file = parseRulesFile(record.rules);
    const references = ruleReferences(file, parseRules(file));
    const lists: PreparedRules['lists'] = [];
    for (const pin of record.lists) {
      this.lists ??= await new Objm(this.nc).open(LISTS_BUCKET);
      const bytes = await this.lists.getBlob(pin.name);
      if (bytes === null) throw new Error(`list ${pin.name} is not in ${LISTS_BUCKET}`);
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== pin.sha256) throw new Error(`list ${pin.name} in ${LISTS_BUCKET} has sha256 ${sha.slice(0, 12)}, not the pinned ${pin.sha256.slice(0, 12)} (put again since this version was deployed? deploy the rules again)`);
      lists.push({ name: pin.name, built: prefixListFromFile(bytes).toBuilt() });
    }
    const filters: PreparedRules['filters'] = [];
    for (const name of references.bpf) {
      const entry = await this.programs.get(namedProgramKey(record.tenant, name));
      if (entry === null || entry.operation !== 'PUT') throw new Error(`no program deployed as ${namedProgramKey(record.tenant, name)} for bpf("${name}")`);
      filters.push({ name, deployment: decodeDeployment(entry.value), compiled: null });
    }
    return { record, lists, filters };
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watchers) w.stop();
  }
}
