import { pino, type Logger } from 'pino';
import { accessConnectOptions, Role } from '@flowshield/access';
import { EventPublisher } from '@flowshield/events';
import { KeyRing, TokenVerifier } from '@flowshield/puzzle';
import { OperatorKeySet } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';
import { implementation, nativeUnavailableReason, selected } from '@flowshield/udp-batch';
import { loadCompiler } from '@flowshield/vm';
import type { EdgeConfig } from './config.js';
import { ControlPlane } from './control-plane.js';
import { aggregatedMetrics, edgeMetrics, placeLabels } from './metrics.js';
import { serveServiceHttp, type Readiness, type ServiceHttp } from '@flowshield/service-http';
import type { ProtectedService } from './protected-service.js';
import { RateLimitedLog } from '@flowshield/service-log';
import { buildServices } from './tenant-services.js';
import { WorkerPool } from './worker-pool.js';
import { MemoryBound, memoryAllowance } from './memory-bound.js';

/** How often resident memory is compared with the bound. */
const MEMORY_SAMPLE_MS = 1000;

/**
 * One edge: a protected service per configured tenant, the event publisher they share, the host's
 * replica (read-only), the control plane (deployments, keys, difficulty) and the metrics endpoint.
 */
export class Edge {
  private http: ServiceHttp | null = null;
  private programsApplied = false;
  metricsPort = 0;
  private replicaTimer: NodeJS.Timeout | null = null;
  private memoryTimer: NodeJS.Timeout | null = null;
  memory: MemoryBound | null = null;
  /** the packet workers, when `workers` > 1 (then `services` are the main thread's stand-ins) */
  pool: WorkerPool | null = null;

  private constructor(
    readonly config: EdgeConfig,
    readonly services: ProtectedService[],
    readonly publisher: EventPublisher,
    readonly replica: { current: ReplicaReader | null },
    readonly control: ControlPlane,
    readonly logger: Logger,
  ) {}

  static async start(config: EdgeConfig, options: { logger?: Logger } = {}): Promise<Edge> {
    const logger = options.logger ?? pino({ name: 'flowshield-edge', base: { edgeId: config.edgeId, region: config.region, datacenter: config.datacenter } });
    // This thread compiles every deployment (packet workers get the compiled modules).
    if (config.engine === 'wasm') await loadCompiler();
    const log = new RateLimitedLog(logger);
    // One user per edge id: it may publish only its own events subject and read only its inbox.
    const access = accessConnectOptions({ role: Role.edge, edgeId: config.edgeId, creds: config.nats.creds, tlsCa: config.nats.tlsCa });
    const publisher = new EventPublisher({
      servers: config.nats.servers, connectOptions: access, edgeId: config.edgeId, region: config.region, datacenter: config.datacenter, logger,
    });
    const replica: { current: ReplicaReader | null } = { current: null };
    const keyRing = new KeyRing();
    const tokens = new TokenVerifier({ clock: Date.now });
    const operatorKeys = new OperatorKeySet(config.operatorKeys);
    // Said once per edge; fs_edge_io_implementation says it to monitoring.
    if (implementation !== 'native') logger.warn({ reason: nativeUnavailableReason }, 'udp-batch addon not in use: datagram I/O falls back to dgram (one send call per datagram)');
    if (operatorKeys.size === 0) logger.warn('no operatorKeys configured: every deployment will be refused (add the key `flowshield keys operator init` prints)');
    const services = buildServices(config, publisher, replica, keyRing, tokens, operatorKeys, log);
    const control = new ControlPlane({ servers: config.nats.servers, access, edgeId: config.edgeId, services, keyRing, tokens, logger });
    const edge = new Edge(config, services, publisher, replica, control, logger);
    edge.openReplica();
    // Workers share each port with SO_REUSEPORT: the dgram twin cannot on Node < 22.12.
    const workers = config.workers > 1 && !selected.capabilities.reusePort ? 1 : config.workers;
    if (workers < config.workers) logger.warn({ workers: config.workers, implementation }, 'packet workers need SO_REUSEPORT, which this datagram I/O lacks: running one');
    if (workers > 1) {
      edge.pool = await WorkerPool.start(config, workers, { publisher, logger });
      services.forEach((s, i) => s.adopt(edge.pool!.ports[i]!, edge.pool!.implementation));
      edge.pool.follow(services, keyRing, tokens);
    } else {
      for (const service of services) await service.start({ steering: config.steering });
    }
    const memory = new MemoryBound(config.rssLimitBytes, memoryAllowance(config, workers), logger, log);
    edge.memory = memory;
    const registry = edgeMetrics(services, () => publisher, control, { packetWorkers: () => edge.pool?.size ?? 1, labels: placeLabels(config), memory });
    const pool = edge.pool;
    const metrics = await serveServiceHttp({
      host: config.metrics.host, port: config.metrics.port,
      metrics: pool ? aggregatedMetrics(registry, () => pool.metricsJSON()) : registry,
      readiness: () => edge.readiness(),
    });
    edge.http = metrics;
    edge.metricsPort = metrics.port;
    edge.watchMemory();
    void control.ready.then(() => { edge.programsApplied = true; });
    control.start();
    logger.info({
      services: services.map((s) => ({ tenant: s.config.tenant, listen: `${s.address.host}:${s.address.port}`, origin: `${s.config.origin.host}:${s.config.origin.port}` })),
      metrics: `http://${config.metrics.host}:${metrics.port}/metrics`,
      engine: config.engine,
      io: implementation,
      workers,
      steering: config.steering && selected.capabilities.steering,
      operatorKeys: config.operatorKeys,
    }, 'edge started');
    return edge;
  }

  /** RSS sampled against the bound, which `readiness` arms. */
  private watchMemory(): void {
    const memory = this.memory!;
    const tick = () => {
      this.readiness();
      memory.sample();
    };
    this.memoryTimer = setInterval(tick, MEMORY_SAMPLE_MS);
    this.memoryTimer.unref();
  }

  /** The replica appears once the state service has written it: keep trying until it opens. */
  private openReplica(): void {
    const path = this.config.replicaPath;
    if (!path) return;
    const attempt = () => {
      try {
        this.replica.current = ReplicaReader.open(path);
        this.logger.info({ replicaPath: path }, 'state replica opened (read-only)');
      } catch {
        this.replicaTimer = setTimeout(attempt, 500);
        this.replicaTimer.unref();
      }
    };
    attempt();
  }

  /**
   * Ready (for /healthz): connected to NATS, the first deployments applied and every tenant
   * running a program, the state replica open (when one is configured), and a configured
   * `rssLimitBytes` one the edge can hold (checked once, when the memory bound is armed).
   */
  readiness(): Readiness {
    if (!this.control.connected) return { ready: false, reason: 'not connected to NATS' };
    if (!this.programsApplied) return { ready: false, reason: 'loading the deployed programs' };
    const missing = this.services.filter((s) => s.runtime.version === 0).map((s) => s.config.tenant);
    if (missing.length) return { ready: false, reason: `no program deployed for tenant ${missing.join(', ')}` };
    if (this.config.replicaPath && !this.replica.current) return { ready: false, reason: `state replica ${this.config.replicaPath} not open yet` };
    // The first time every thread runs the programs, start-up is behind the edge: what it takes
    // then is its baseline (packet workers load a deployment after the main thread has).
    const memory = this.memory;
    if (memory && !memory.armed && this.workersRunTheirPrograms()) memory.arm();
    if (memory?.refusal) return { ready: false, reason: memory.refusal };
    return { ready: true, programs: Object.fromEntries(this.services.map((s) => [s.config.tenant, s.runtime.version])) };
  }

  /** Every packet worker runs the program version the main thread does, for every tenant. */
  private workersRunTheirPrograms(): boolean {
    const pool = this.pool;
    return !pool || this.services.every((s) => pool.versions(s.config.tenant).every((v) => v === s.runtime.version));
  }

  service(tenant: string): ProtectedService | undefined {
    return this.services.find((s) => s.config.tenant === tenant);
  }

  async stop(): Promise<void> {
    if (this.replicaTimer) clearTimeout(this.replicaTimer);
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    await this.pool?.stop();
    for (const service of this.services) await service.stop();
    await this.control.stop();
    await this.publisher.close().catch(() => undefined);
    await this.replica.current?.close();
    await this.http?.close();
  }
}
