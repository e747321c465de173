import { ensureEventStreams, ensureRegionStreams, ensureSiteStreams } from '@flowshield/events';
import { ReplicaWriter } from '@flowshield/replica';
import { accessConnectOptions, EDGE_BUCKETS, followConnection, Role, serverList } from '@flowshield/access';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino, type Logger } from 'pino';
import type { StateConfig } from './config.js';
import { StateConsumer } from './consumer.js';
import { StateMetrics } from './metrics.js';
import { RateLimitedLog } from '@flowshield/service-log';
import { bootstrapReplica, snapshotReplica } from './snapshotter.js';
import { DEADLETTER_STREAM, EVENTS_STREAM, sitesOf, type SnapshotManifest } from '@flowshield/proto';
import type { Readiness } from '@flowshield/service-http';

/** Stream messages (event batches) a replica may be behind and still be ready: a live stream is never at lag 0 for long. */
export const READY_LAG_MESSAGES = 100;

/**
 * The state service: bootstrap (if the replica is new), the stream consumer, periodic snapshots
 * and the metrics endpoint, started and stopped together.
 */
export class StateService {
  readonly metrics: StateMetrics;
  readonly logger: Logger;
  metricsPort: number | null = null;
  private nc: NatsConnection | null = null;
  private writer: ReplicaWriter | null = null;
  private consumer: StateConsumer | null = null;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotting: Promise<unknown> | null = null;
  private stopping = false;
  private sites: Promise<void> | null = null;
  private connection: { readonly connected: boolean } | null = null;
  private streamInfo: (() => Promise<{ state: { last_seq: number } }>) | null = null;
  /** Pause between attempts at the first connection. */
  static FIRST_CONNECT_RETRY_MS = 1_000;

  constructor(readonly config: StateConfig, logger?: Logger) {
    this.logger = logger ?? pino({ level: config.logLevel, base: { service: 'state', replica: config.replicaId, region: config.region, datacenter: config.datacenter } });
    // As the edge's: no labels for the default `local` place, so one machine's series stay as they were.
    const local = config.region === 'local' && config.datacenter === 'local';
    this.metrics = new StateMetrics(local ? {} : { region: config.region, datacenter: config.datacenter });
  }

  async start(): Promise<void> {
    const c = this.config;
    // Listening first: /healthz says 503 (and why) while NATS is not reachable yet.
    if (c.metricsPort >= 0) {
      this.metricsPort = await this.metrics.listen(c.metricsPort, c.metricsHost, () => this.readiness());
      this.logger.info({ port: this.metricsPort, host: c.metricsHost }, 'metrics listening');
    }
    const nc = await this.connectFirst();
    if (!nc) return; // stopped before NATS was reachable
    this.nc = nc;
    this.connection = followConnection(nc);
    const limits = { events: c.eventLimits, deadLetter: c.deadLetterLimits, replicas: c.streamReplicas };
    const ensure = async () => c.topology
      ? ensureRegionStreams(nc, { ...limits, topology: c.topology, region: c.region }).then((r) => ({ ...r, stream: r.aggregate }))
      : { ...await ensureEventStreams(nc, limits), stream: EVENTS_STREAM };
    const ready = await this.retrying('streams', 'stream set-up failed (a cluster electing its JetStream leader answers only after a while); retrying', ensure);
    if (!ready) return;
    const { jsm, actions, stream } = ready;
    this.logger.info({ streams: actions, events: c.eventLimits, deadLetter: c.deadLetterLimits, discard: 'old' }, 'event streams ready');
    this.metrics.watchStreams(() => Promise.all([stream, DEADLETTER_STREAM].map((name) => jsm.streams.info(name))));
    if (c.topology) this.sites = this.setUpSites(sitesOf(c.topology, c.region));
    if (c.bootstrap) {
      const manifest = await bootstrapReplica(this.nc, c.db, stream).catch((err: Error & { code?: string }) => {
        if (err.code === 'FS_ERR_EVENTS_SNAPSHOT_TARGET') return null; // already a replica: resume it
        throw err;
      });
      if (manifest) this.logger.info({ snapshot: manifest.dataObject, sequences: manifest.sequences, entries: manifest.entries }, 'bootstrapped from snapshot');
    }
    this.writer = ReplicaWriter.open(c.db);
    this.logger.info({ db: c.db, sequences: this.writer.sequences(), counters: this.writer.counters() }, 'replica opened');
    this.streamInfo = () => jsm.streams.info(stream);
    this.consumer = new StateConsumer({
      nc: this.nc, writer: this.writer, replicaId: c.replicaId, metrics: this.metrics, logger: this.logger,
      fetchBatch: c.fetchBatch, maxEventsPerCommit: c.maxEventsPerCommit, commitDelayMs: c.commitDelayMs, stream,
    });
    await this.consumer.start();
    if (c.snapshotIntervalMs > 0) {
      this.snapshotTimer = setInterval(() => { void this.snapshot().catch(() => undefined); }, c.snapshotIntervalMs);
    }
    this.logger.info('state service started');
  }

  /**
   * Each site's own streams (its FS_EVENTS, mirrors of the buckets its edges read), in the site's
   * domain. A site offline now is retried until it answers; its edges keep publishing locally
   * meanwhile, and the hub catches up once the site stream exists and is reachable.
   */
  private async setUpSites(sites: string[]): Promise<void> {
    const pending = new Set(sites);
    const log = new RateLimitedLog(this.logger, 10_000);
    while (pending.size > 0 && !this.stopping && this.nc) {
      for (const site of [...pending]) {
        try {
          const actions = await ensureSiteStreams(this.nc, site, EDGE_BUCKETS, { events: this.config.eventLimits });
          pending.delete(site);
          this.logger.info({ site, streams: actions }, 'site streams ready');
        } catch (err) {
          log.warn(`site:${site}`, { site, err: (err as Error).message }, 'site not reachable yet; retrying its stream set-up');
        }
      }
      if (pending.size > 0) await new Promise((r) => setTimeout(r, StateService.SITE_RETRY_MS));
    }
  }

  /** Runs `attempt` until it succeeds or the service stops (null then), logging failures at most every 10 s. */
  private async retrying<T>(key: string, text: string, attempt: () => Promise<T>): Promise<T | null> {
    const log = new RateLimitedLog(this.logger, 10_000);
    while (!this.stopping) {
      try {
        return await attempt();
      } catch (err) {
        log.warn(key, { err: (err as Error).message }, text);
        await new Promise((r) => setTimeout(r, StateService.SITE_RETRY_MS));
      }
    }
    return null;
  }

  /** Pause between attempts at an unreachable site's (or a cluster's) stream set-up. */
  static SITE_RETRY_MS = 2_000;

  /**
   * The first connection is retried until it succeeds (NATS may start after us, or be down for a
   * while), logging at most one line per 10 s; later disconnects are the client's reconnect loop.
   */
  private async connectFirst(): Promise<NatsConnection | null> {
    const c = this.config;
    const options = {
      servers: serverList(c.servers), noAsyncTraces: true, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `flowshield-state-${c.replicaId}`,
      ...accessConnectOptions({ role: Role.state, creds: c.creds, tlsCa: c.tlsCa }),
    };
    const log = new RateLimitedLog(this.logger, 10_000);
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const nc = await connect(options);
        if (attempt > 1) this.logger.info({ servers: c.servers, attempts: attempt }, 'connected to NATS');
        return nc;
      } catch (err) {
        log.warn('first-connect', { servers: c.servers, attempt, err: (err as Error).message }, 'NATS not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, StateService.FIRST_CONNECT_RETRY_MS));
      }
    }
    return null;
  }

  /**
   * Ready (for /healthz): connected to NATS, the replica open and consuming, and caught up: at
   * most READY_LAG_MESSAGES stream messages not yet merged.
   */
  async readiness(): Promise<Readiness> {
    if (!this.connection?.connected) return { ready: false, reason: 'not connected to NATS' };
    const consumer = this.consumer;
    if (!consumer || !this.streamInfo) return { ready: false, reason: 'opening the replica and its consumer' };
    const { state } = await this.streamInfo();
    const lag = Math.max(0, state.last_seq - (consumer.nextSequence - 1));
    if (lag > READY_LAG_MESSAGES) return { ready: false, reason: `catching up: ${lag} stream messages not merged yet (ready at ${READY_LAG_MESSAGES} or fewer)`, lag };
    return { ready: true, lag };
  }

  /** Cuts a snapshot now (one at a time). */
  async snapshot(): Promise<SnapshotManifest> {
    if (!this.nc) throw new Error('state service is not started');
    while (this.snapshotting) await this.snapshotting.catch(() => undefined);
    const run = snapshotReplica(this.nc, this.config.db, this.config.replicaId);
    this.snapshotting = run;
    try {
      const manifest = await run;
      this.metrics.snapshots.inc();
      this.logger.info({ snapshot: manifest.dataObject, sequences: manifest.sequences, entries: manifest.entries, digest: manifest.digest }, 'snapshot written');
      return manifest;
    } catch (err) {
      this.metrics.snapshotFailures.inc();
      this.logger.error({ err: (err as Error).message }, 'snapshot failed');
      throw err;
    } finally {
      this.snapshotting = null;
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.snapshotTimer) clearInterval(this.snapshotTimer);
    await this.snapshotting?.catch(() => undefined);
    await this.sites;
    await this.consumer?.stop();
    await this.metrics.close();
    await this.nc?.close().catch(() => undefined);
    await this.writer?.close();
    this.logger.info('state service stopped');
  }
}
