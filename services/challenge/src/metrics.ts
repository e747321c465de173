import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's Prometheus metrics, in their own registry (tests create several services). */
export class ChallengeMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'fs_challenge_requests_total', help: 'API requests by subject and outcome', labelNames: ['api', 'outcome'] as const, registers: [this.registry] });
  readonly verifyResults = new Counter({ name: 'fs_challenge_verify_total', help: 'verify API results by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly badMessages = new Counter({ name: 'fs_challenge_bad_messages_total', help: 'malformed requests and load reports', labelNames: ['api'] as const, registers: [this.registry] });
  readonly tokensIssued = new Counter({ name: 'fs_challenge_tokens_issued_total', help: 'verified tokens signed', registers: [this.registry] });
  readonly rotations = new Counter({ name: 'fs_challenge_rotations_total', help: 'epochs started, by cause', labelNames: ['cause'] as const, registers: [this.registry] });
  readonly currentEpoch = new Gauge({ name: 'fs_challenge_current_epoch', help: 'id of the current key epoch', registers: [this.registry] });
  readonly difficultyBits = new Gauge({ name: 'fs_challenge_difficulty_bits', help: 'issue difficulty per protected service', labelNames: ['service'] as const, registers: [this.registry] });
  readonly tenantKeysWritten = new Counter({ name: 'fs_challenge_tenant_keys_written_total', help: 'per-tenant HMAC key records written to fs-tenant-keys', registers: [this.registry] });
  readonly loadReports = new Counter({ name: 'fs_challenge_load_reports_total', help: 'load reports received from edges', registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'fs_challenge_' });
  }
}
