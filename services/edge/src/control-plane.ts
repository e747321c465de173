import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import {
  CHALLENGE_DIFFICULTY_BUCKET, decodeApiMessage, encodeApiMessage, loadSubject, serviceKey, type DifficultyRecord, type LoadReport, type TenantDeployment,
} from '@flowshield/proto';
import type { KeyRing, TokenVerifier } from '@flowshield/puzzle';
import { EpochKeyFollower, PublicKeyFollower, TenantKeyFollower } from '@flowshield/challenge-keys';
import type { Logger } from 'pino';
import { DeploymentWatcher } from './deployments.js';
import { RulesFollower } from './rules-follower.js';
import type { PreparedRules } from './tenant-rules.js';
import { address16 } from './packet-view.js';
import type { ProtectedService } from './protected-service.js';

const RETRY_MS = 1_000;
const LOAD_REPORT_MS = 1_000;

/**
 * Everything the edge receives from or reports to NATS besides events: deployments, challenge
 * keys, difficulty, load reports. All of it runs beside the packet path and retries on its own
 * when NATS or a bucket is not there yet; the packet path keeps serving with what it has.
 */
export class ControlPlane {
  nc: NatsConnection | null = null;
  connected = false;
  private deployments: DeploymentWatcher | null = null;
  private rules: RulesFollower | null = null;
  private keys: EpochKeyFollower | null = null;
  private publicKeys: PublicKeyFollower | null = null;
  private tenantKeys: TenantKeyFollower | null = null;
  private difficultyWatch: { stop(): void } | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private stopped = false;
  badRecords = 0;
  /** resolves once the first deployments of every tenant have been applied */
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    private readonly options: { servers: string[]; access: Partial<ConnectionOptions>; edgeId: string; services: readonly ProtectedService[]; keyRing: KeyRing; tokens: TokenVerifier; logger: Logger },
  ) {
    this.ready = new Promise((resolve) => { this.markReady = resolve; });
  }

  start(): void {
    void this.run();
    const prune = setInterval(() => this.options.keyRing.prune(Math.floor(Date.now() / 1000)), 5_000);
    prune.unref();
    this.timers.push(prune);
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    // The first connection is retried like everything else here (NATS may come up after the edge).
    const nc = await this.retry('nats connection', () => connect({
      servers: this.options.servers, name: `edge-${this.options.edgeId}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true,
      ...this.options.access,
    }));
    if (!nc) return;
    if (this.stopped) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.connected = true;
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect') this.connected = false;
        else if (status.type === 'reconnect') this.connected = true;
        logger.info({ nats: status.type }, 'nats connection');
      }
    })();
    void this.retry('challenge keys', async () => {
      this.keys = await EpochKeyFollower.start(nc, this.options.keyRing, {
        onBadRecord: (key, err) => {
          this.badRecords++;
          logger.warn({ key, err: (err as Error).message }, 'challenge key record rejected');
        },
      });
    });
    void this.retry('token public keys', async () => {
      this.publicKeys = await PublicKeyFollower.start(nc, this.options.tokens, {
        onBadRecord: (key, err) => {
          this.badRecords++;
          logger.warn({ key, err: (err as Error).message }, 'token public key record rejected');
        },
      });
    });
    void this.retry('tenant keys', () => this.followTenantKeys(nc));
    void this.retry('difficulty', () => this.followDifficulty(nc));
    const report = setInterval(() => this.reportLoad(nc), LOAD_REPORT_MS);
    report.unref();
    this.timers.push(report);
    // The firewall: rules versions, their lists and socket filters (absent until the first `rules deploy`).
    void this.retry('rules', async () => {
      this.rules = await RulesFollower.start(nc, {
        tenants: this.options.services.map((s) => s.config.tenant),
        check: (record) => this.serviceOf(record.tenant)?.rules.check(record) ?? null,
        onPrepared: (prepared) => this.applyRules(prepared),
        onRefused: (record, result, reason) => {
          const service = this.serviceOf(record.tenant);
          if (service) service.rules.swaps[result]++;
          logger.error({ tenant: record.tenant, version: record.version, result, err: reason, running: service?.rules.version ?? 0 }, 'rules refused; the running rules stay');
        },
        onBadRecord: (key, err) => {
          this.badRecords++;
          logger.warn({ key, err: (err as Error).message }, 'rules record rejected');
        },
      });
    });
    // Last and awaited: keys and difficulty are followed whether or not the programs bucket exists
    // yet (only an operator creates it).
    await this.retry('deployments', async () => {
      this.deployments = await DeploymentWatcher.start(nc, {
        tenants: this.options.services.map((s) => s.config.tenant),
        onDeployment: (d) => this.applyDeployment(d),
        onBadRecord: (key, err) => {
          this.badRecords++;
          logger.warn({ key, err: (err as Error).message }, 'deployment record rejected');
        },
      });
    });
    this.markReady();
  }

  private applyDeployment(deployment: TenantDeployment): void {
    const service = this.options.services.find((s) => s.config.tenant === deployment.tenant);
    if (!service) return;
    const refused = service.runtime.apply(deployment);
    const fields = { tenant: deployment.tenant, version: deployment.version, sha256: deployment.sha256.slice(0, 12), monitoring: deployment.monitoring };
    if (refused) this.options.logger.error({ ...fields, result: refused.result, err: refused.reason, running: service.runtime.version }, 'deployment refused; the running program stays');
    else this.options.logger.info(fields, 'program deployed');
  }

  private serviceOf(tenant: string): ProtectedService | undefined {
    return this.options.services.find((s) => s.config.tenant === tenant);
  }

  private applyRules(prepared: PreparedRules): void {
    const service = this.serviceOf(prepared.record.tenant);
    if (!service) return;
    const { record } = prepared;
    const refused = service.rules.apply(prepared);
    const fields = { tenant: record.tenant, version: record.version, sha256: record.sha256.slice(0, 12), lists: record.lists.map((l) => l.name), filters: prepared.filters.map((f) => f.name) };
    if (refused) this.options.logger.error({ ...fields, result: refused.result, err: refused.reason, running: service.rules.version }, 'rules refused; the running rules stay');
    else this.options.logger.info({ ...fields, scope: service.rules.firewall.rules?.scope }, 'rules deployed');
  }

  /** Runs `attempt` until it succeeds or the plane stops (then null), logging every tenth failure. */
  private async retry<T>(what: string, attempt: () => Promise<T>): Promise<T | null> {
    for (let tries = 0; !this.stopped; tries++) {
      try {
        return await attempt();
      } catch (err) {
        if (tries % 10 === 0) this.options.logger.warn({ what, err: (err as Error).message }, 'control plane not ready; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
    return null;
  }

  /** Each tenant's HMAC key (helpers 8, 9, 20) into its host; until it arrives they return FS_ERR_NO_KEY. */
  private async followTenantKeys(nc: NatsConnection): Promise<void> {
    const { logger, services } = this.options;
    let failures = 0;
    this.tenantKeys = await TenantKeyFollower.start(nc, {
      tenants: services.map((s) => s.config.tenant),
      onKey: (tenant, key) => {
        const service = services.find((s) => s.config.tenant === tenant);
        if (service) service.runtime.host.hmacKey = key;
        logger.info({ tenant, present: key !== null }, 'tenant key');
      },
      onBadRecord: (key, err) => {
        this.badRecords++;
        logger.warn({ key, err: (err as Error).message }, 'tenant key record rejected');
      },
      onRequestFailed: (tenant, err) => {
        if (failures++ % 10 === 0) logger.warn({ tenant, err: (err as Error).message }, 'tenant key not available yet; asking again');
      },
    });
  }

  private async followDifficulty(nc: NatsConnection): Promise<void> {
    const kv = await new Kvm(nc).open(CHALLENGE_DIFFICULTY_BUCKET);
    await kv.status(); // opening binds without a look: fail (and retry) until the challenge service made it
    const byKey = new Map(this.options.services.map((s) => [serviceKey({ address: address16(s.publicAddress.host === 'localhost' ? '127.0.0.1' : s.publicAddress.host).bytes, port: s.publicAddress.port }), s]));
    const iter = await kv.watch();
    void (async () => {
      for await (const entry of iter) {
        if (this.stopped) break;
        const service = byKey.get(entry.key);
        if (!service || entry.operation !== 'PUT') continue;
        try {
          const record = decodeApiMessage<DifficultyRecord>(entry.value);
          service.runtime.host.setDifficulty({ bits: record.bits, floorBits: record.floorBits, subPuzzles: record.subPuzzles });
        } catch (err) {
          this.badRecords++;
          this.options.logger.warn({ key: entry.key, err: (err as Error).message }, 'difficulty record rejected');
        }
      }
    })();
    this.difficultyWatch = iter;
  }

  private readonly lastLoad = new Map<string, { drop: number; rejected: number }>();

  private reportLoad(nc: NatsConnection): void {
    if (!this.connected) return;
    for (const service of this.options.services) {
      const stats = service.loadCounters();
      const last = this.lastLoad.get(service.config.tenant) ?? { drop: 0, rejected: 0 };
      const report: LoadReport = {
        v: 1,
        edgeId: this.options.edgeId,
        target: { address: service.publicAddress.host, port: service.publicAddress.port },
        windowMs: LOAD_REPORT_MS,
        unverifiedPackets: stats.drop - last.drop,
        failedAnswers: stats.rejected - last.rejected,
      };
      this.lastLoad.set(service.config.tenant, stats);
      if (report.unverifiedPackets === 0 && report.failedAnswers === 0) continue;
      try {
        nc.publish(loadSubject(this.options.edgeId), encodeApiMessage(report));
      } catch {
        // a publish while reconnecting: the next window reports again
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.deployments?.stop();
    this.rules?.stop();
    this.keys?.stop();
    this.publicKeys?.stop();
    this.tenantKeys?.stop();
    this.difficultyWatch?.stop();
    await this.nc?.drain().catch(() => undefined);
  }
}
