// A packet worker (worker_threads): its own SO_REUSEPORT socket per protected service, its own
// program instances and tables, the host's replica opened read-only. The main thread owns the
// control plane and the event publisher; this thread only runs packets and applies what it is sent.
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { EventPublisher } from '@flowshield/events';
import { splitMemory } from './config.js';
import { KeyRing, TokenVerifier } from '@flowshield/puzzle';
import { OperatorKeySet } from '@flowshield/proto';
import { ReplicaReader } from '@flowshield/replica';
import { implementation } from '@flowshield/udp-batch';
import { edgeMetrics, placeLabels } from './metrics.js';
import { RateLimitedLog } from '@flowshield/service-log';
import { buildServices } from './tenant-services.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker-protocol.js';
import { WorkerPublisher } from './worker-publisher.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const config = splitMemory(init.config, init.count);
const send = (message: FromWorker) => port.postMessage(message);
const logger = pino({ name: 'flowshield-edge', base: { edgeId: config.edgeId, worker: init.index }, level: init.logLevel });

const publisher = new WorkerPublisher((events) => send({ type: 'events', events }));
const replica: { current: ReplicaReader | null } = { current: null };
const keyRing = new KeyRing();
const tokens = new TokenVerifier({ clock: Date.now });
// The structural subset TenantState uses (clock, publish); the real publisher is on the main thread.
const services = buildServices(config, publisher as unknown as EventPublisher, replica, keyRing, tokens, new OperatorKeySet(config.operatorKeys), new RateLimitedLog(logger));
const byTenant = new Map(services.map((s) => [s.config.tenant, s]));
const registry = edgeMetrics(services, () => null, { connected: false, badRecords: 0 }, { processMetrics: false, labels: placeLabels(config), thread: `worker-${init.index}` });
const timers: NodeJS.Timeout[] = [];

function openReplica(): void {
  const path = config.replicaPath;
  if (!path) return;
  const attempt = () => {
    try {
      replica.current = ReplicaReader.open(path);
    } catch {
      const t = setTimeout(attempt, 500);
      t.unref();
      timers.push(t);
    }
  };
  attempt();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'deploy': {
      const service = byTenant.get(message.deployment.tenant);
      if (!service) return;
      // The swap happens here, between two batches (a message is handled between readiness calls).
      // Verified again here (cheap), compiled on the main thread: the module arrives with it.
      const refused = service.runtime.apply(message.deployment, message.compiled);
      send({ type: 'deploy-result', tenant: message.deployment.tenant, version: service.runtime.version, refused: refused?.reason ?? null });
      return;
    }
    case 'rules': {
      const service = byTenant.get(message.prepared.record.tenant);
      if (!service) return;
      // Between two batches, like a program swap; the counters of the running set carry over.
      const refused = service.rules.apply(message.prepared);
      send({ type: 'rules-result', tenant: service.config.tenant, version: service.rules.version, refused: refused?.reason ?? null });
      return;
    }
    case 'difficulty':
      byTenant.get(message.tenant)?.runtime.host.setDifficulty(message.setting);
      return;
    case 'tenant-key': {
      const host = byTenant.get(message.tenant)?.runtime.host;
      if (host) host.hmacKey = message.key;
      return;
    }
    case 'key':
      if (message.op === 'upsert') keyRing.upsert(message.init as Parameters<KeyRing['upsert']>[0]);
      else keyRing.remove(message.keyId);
      return;
    case 'token-key':
      if (message.op === 'add') tokens.addPublicKey(message.record as Parameters<TokenVerifier['addPublicKey']>[0]);
      else tokens.removePublicKey(message.signingKeyId);
      return;
    case 'remote': {
      const now = Date.now() / 1000;
      for (const event of message.events) {
        const service = byTenant.get(event.tenant);
        if (!service) continue;
        const state = service.runtime.host.state;
        publisher.applyRemote(event, () => state.setStatus(event.ip, { status: event.status, expiry: event.expiry }, now));
        service.steering?.follow(event.ip, event.status);
      }
      return;
    }
    case 'metrics':
      registry.getMetricsAsJSON().then((json) => send({ type: 'metrics', id: message.id, json }), () => send({ type: 'metrics', id: message.id, json: [] }));
      return;
    case 'stop':
      void stop();
      return;
  }
});

async function stop(): Promise<void> {
  for (const t of timers) clearTimeout(t);
  publisher.flush();
  for (const service of services) await service.stop();
  await replica.current?.close();
  send({ type: 'stopped' });
  port.close();
}

async function start(): Promise<void> {
  openReplica();
  const prune = setInterval(() => keyRing.prune(Math.floor(Date.now() / 1000)), 5_000);
  prune.unref();
  // The main thread's load reports (fs.challenge.load, which drive difficulty) sum these.
  const load = setInterval(() => send({ type: 'load', load: services.map((s) => s.loadCounters()) }), 500);
  load.unref();
  timers.push(prune, load);
  try {
    for (let i = 0; i < services.length; i++) await services[i]!.start({ reusePort: true, port: init.ports[i] ?? undefined, steering: config.steering, worker: { index: init.index, count: init.count } });
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message, code: (err as { code?: string }).code });
    return;
  }
  send({ type: 'ready', ports: services.map((s) => s.address.port), implementation });
}

void start();
