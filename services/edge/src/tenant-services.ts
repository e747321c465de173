import type { EventPublisher } from '@flowshield/events';
import type { KeyRing, TokenVerifier } from '@flowshield/puzzle';
import type { OperatorKeySet } from '@flowshield/proto';
import type { ReplicaReader } from '@flowshield/replica';
import type { EdgeConfig } from './config.js';
import { CpuShare } from './cpu-share.js';
import { EdgeHost } from './edge-host.js';
import { ProtectedService } from './protected-service.js';
import type { RateLimitedLog } from '@flowshield/service-log';
import { TenantState } from './state-overlay.js';
import { TenantRuntime } from './tenant-runtime.js';
import { TenantRules } from './tenant-rules.js';

/**
 * A protected service per configured tenant, each with its state, host, firewall and program runtime: what
 * the main thread builds with one packet path, and what every packet worker builds for itself.
 */
export function buildServices(
  config: EdgeConfig,
  publisher: EventPublisher | null,
  replica: { current: ReplicaReader | null },
  keyRing: KeyRing,
  tokens: TokenVerifier,
  operatorKeys: OperatorKeySet,
  log: RateLimitedLog,
): ProtectedService[] {
  return config.services.map((service) => {
    const state = new TenantState(service.tenant, publisher, replica, service.memory);
    const host = new EdgeHost(state, service, keyRing, tokens);
    const runtime = new TenantRuntime(service.tenant, host, {
      failVerdictWithoutProgram: service.failVerdict,
      engine: config.engine,
      operatorKeys,
      maxBudget: config.programLimits.maxBudget,
      cpu: new CpuShare(config.programLimits.cpuMsPerSecond * service.cpuShare * 1e6),
    });
    const rules = new TenantRules(service.tenant, host, { operatorKeys, engine: config.engine, region: config.region, datacenter: config.datacenter });
    return new ProtectedService(service, runtime, rules, log);
  });
}
