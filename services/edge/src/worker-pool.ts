import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { EventPublisher } from '@flowshield/events';
import type { KeyRing, TokenVerifier } from '@flowshield/puzzle';
import type { EdgeConfig } from './config.js';
import { EdgeError, EdgeErrorCode } from './errors.js';
import type { ProtectedService } from './protected-service.js';
import type { FromWorker, ToWorker, WorkerEvent, WorkerInit } from './worker-protocol.js';

/**
 * Under a flood V8 grows a packet worker's young generation to 32 MiB (from about 5): RSS that no
 * table budget accounts for, and most of what a default edge exceeded its bound by in bench/flood.
 * Its garbage is per-batch and short-lived, so a small nursery costs scavenges, not speed
 * (bench/flood: the same packets/s).
 */
const PACKET_WORKER_YOUNG_GENERATION_MB = 6;

interface Member {
  worker: Worker;
  index: number;
  /** per service, its latest load counters */
  load: { drop: number; rejected: number }[];
  /** per tenant, the program version this worker runs (from its deploy results) */
  versions: Map<string, number>;
}

/**
 * The main thread's side of the packet workers. It spawns them (worker 0 first, so a configured
 * port 0 becomes one port the others join with SO_REUSEPORT), feeds them the control plane's
 * updates (deployments, rules versions, difficulty, challenge keys, token keys), publishes their status
 * transitions through the one EventPublisher (each once) and forwards them to the other workers'
 * overlays, and collects their metrics at scrape time.
 */
export class WorkerPool {
  private readonly members: Member[] = [];
  private metricsId = 0;
  private readonly metricsWaiting = new Map<number, { left: number; json: unknown[]; resolve: (json: unknown[]) => void }>();
  ports: number[] = [];
  implementation = 'native';
  /** transitions received from workers and handed to the publisher */
  eventsForwarded = 0;

  private constructor(private readonly publisher: EventPublisher, private readonly logger: Logger) {}

  static async start(config: EdgeConfig, count: number, options: { publisher: EventPublisher; logger: Logger }): Promise<WorkerPool> {
    const pool = new WorkerPool(options.publisher, options.logger);
    try {
      // One after another: each worker's sockets take the next indexes of the port's reuse-port group.
      const first = await pool.spawn(config, 0, count, config.services.map((s) => s.listen.port));
      pool.ports = first.ports;
      pool.implementation = first.implementation;
      for (let i = 1; i < count; i++) await pool.spawn(config, i, count, first.ports);
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.members.length;
  }

  /** Per worker, the version of `tenant`'s program it runs (0: none yet). */
  versions(tenant: string): number[] {
    return this.members.map((m) => m.versions.get(tenant) ?? 0);
  }

  private spawn(config: EdgeConfig, index: number, count: number, ports: (number | null)[]): Promise<{ ports: number[]; implementation: string }> {
    const init: WorkerInit = { config, index, count, ports, logLevel: this.logger.level };
    const worker = new Worker(new URL('./packet-worker.js', import.meta.url), { workerData: init, resourceLimits: { maxYoungGenerationSizeMb: PACKET_WORKER_YOUNG_GENERATION_MB } });
    const member: Member = { worker, index, load: [], versions: new Map() };
    this.members.push(member);
    return new Promise((resolve, reject) => {
      let started = false;
      worker.on('message', (message: FromWorker) => {
        if (!started && message.type === 'ready') {
          started = true;
          resolve({ ports: message.ports, implementation: message.implementation });
        } else if (!started && message.type === 'failed') {
          started = true;
          reject(new EdgeError(EdgeErrorCode.BIND, `packet worker ${index}: ${message.message}`));
        } else {
          this.receive(member, message);
        }
      });
      worker.on('exit', (code) => {
        if (!this.stopping) this.logger.error({ worker: index, code }, 'packet worker exited; its socket left the reuse-port group, so the other workers take its sources (its sessions and overlay are gone)');
      });
      worker.on('error', (err) => {
        this.logger.error({ worker: index, err: err.message }, 'packet worker failed');
        if (!started) {
          started = true;
          reject(err);
        }
      });
    });
  }

  private receive(from: Member, message: FromWorker): void {
    switch (message.type) {
      case 'events':
        this.publish(from, message.events);
        return;
      case 'metrics': {
        const waiting = this.metricsWaiting.get(message.id);
        if (!waiting) return;
        waiting.json.push(message.json);
        if (--waiting.left === 0) {
          this.metricsWaiting.delete(message.id);
          waiting.resolve(waiting.json);
        }
        return;
      }
      case 'load':
        from.load = message.load;
        this.sumLoad();
        return;
      case 'rules-result':
        if (message.refused) this.logger.error({ worker: from.index, tenant: message.tenant, err: message.refused }, 'packet worker refused a rules version the main thread applied');
        return;
      case 'deploy-result':
        from.versions.set(message.tenant, message.version);
        if (message.refused) this.logger.error({ worker: from.index, tenant: message.tenant, err: message.refused }, 'packet worker refused a deployment the main thread applied');
        return;
      default:
    }
  }

  private services: readonly ProtectedService[] = [];

  /** The stand-ins' load counters: the sum of the workers' latest. */
  private sumLoad(): void {
    this.services.forEach((service, i) => {
      const total = { drop: 0, rejected: 0 };
      for (const m of this.members) {
        total.drop += m.load[i]?.drop ?? 0;
        total.rejected += m.load[i]?.rejected ?? 0;
      }
      service.workerLoad = total;
    });
  }

  /** Each transition once to the event stream, then to every other worker's overlay. */
  private publish(from: Member, events: WorkerEvent[]): void {
    for (const event of events) this.publisher.publish(event);
    this.eventsForwarded += events.length;
    this.broadcast({ type: 'remote', events }, from);
  }

  broadcast(message: ToWorker, except?: Member): void {
    for (const m of this.members) if (m !== except) m.worker.postMessage(message);
  }

  /**
   * Routes the control plane's updates to the workers: every deployment the main thread applied
   * (checked, verified and compiled there, off the packet threads; the workers swap it in between
   * batches), difficulty changes, tenant HMAC keys, challenge epoch keys and token public keys.
   */
  follow(services: readonly ProtectedService[], keyRing: KeyRing, tokens: TokenVerifier): void {
    this.services = services;
    this.sumLoad();
    for (const service of services) {
      const runtime = service.runtime;
      const apply = runtime.apply.bind(runtime);
      runtime.apply = (deployment) => {
        const refused = apply(deployment);
        if (!refused) this.broadcast({ type: 'deploy', deployment, compiled: runtime.compiled });
        return refused;
      };
      const rules = service.rules;
      const applyRules = rules.apply.bind(rules);
      rules.apply = (prepared) => {
        const refused = applyRules(prepared);
        if (!refused) {
          const filters = prepared.filters.map((f) => ({ ...f, compiled: rules.compiled.get(f.name) ?? null }));
          this.broadcast({ type: 'rules', prepared: { ...prepared, filters } });
        }
        return refused;
      };
      const host = runtime.host;
      const setDifficulty = host.setDifficulty.bind(host);
      host.setDifficulty = (setting, nowMs) => {
        setDifficulty(setting, nowMs);
        this.broadcast({ type: 'difficulty', tenant: service.config.tenant, setting });
      };
      // The control plane assigns the tenant key; an accessor passes each assignment on.
      let hmacKey = host.hmacKey;
      Object.defineProperty(host, 'hmacKey', {
        configurable: true,
        enumerable: true,
        get: () => hmacKey,
        set: (key: Uint8Array | null) => {
          hmacKey = key;
          this.broadcast({ type: 'tenant-key', tenant: service.config.tenant, key });
        },
      });
    }
    const upsert = keyRing.upsert.bind(keyRing);
    keyRing.upsert = (init) => {
      upsert(init);
      this.broadcast({ type: 'key', op: 'upsert', init });
    };
    const remove = keyRing.remove.bind(keyRing);
    keyRing.remove = (keyId) => {
      this.broadcast({ type: 'key', op: 'remove', keyId });
      return remove(keyId);
    };
    const addPublicKey = tokens.addPublicKey.bind(tokens);
    tokens.addPublicKey = (record) => {
      addPublicKey(record);
      this.broadcast({ type: 'token-key', op: 'add', record });
    };
    const removePublicKey = tokens.removePublicKey.bind(tokens);
    tokens.removePublicKey = (signingKeyId) => {
      this.broadcast({ type: 'token-key', op: 'remove', signingKeyId });
      return removePublicKey(signingKeyId);
    };
  }

  /** Every worker's metrics as prom-client JSON, for AggregatorRegistry at scrape time. */
  metricsJSON(): Promise<unknown[]> {
    if (this.members.length === 0) return Promise.resolve([]);
    const id = ++this.metricsId;
    return new Promise((resolve) => {
      this.metricsWaiting.set(id, { left: this.members.length, json: [], resolve });
      this.broadcast({ type: 'metrics', id });
      // A worker that does not answer (stuck or gone) must not hang the scrape.
      setTimeout(() => {
        const waiting = this.metricsWaiting.get(id);
        if (!waiting) return;
        this.metricsWaiting.delete(id);
        resolve(waiting.json);
      }, 2_000).unref();
    });
  }

  private stopping = false;

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.members.map((m) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => void m.worker.terminate().then(() => resolve()), 5_000);
      m.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      m.worker.postMessage({ type: 'stop' } satisfies ToWorker);
    })));
    this.members.length = 0;
  }
}
