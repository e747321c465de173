import type { EventInput } from '@flowshield/events';
import type { TenantDeployment } from '@flowshield/proto';
import type { CompiledProgram } from '@flowshield/vm';
import type { EdgeConfig } from './config.js';
import type { DifficultySetting } from './edge-host.js';
import type { PreparedRules } from './tenant-rules.js';

/*
 * Messages between the main thread (control plane, event publisher, metrics endpoint) and the
 * packet workers. Everything is structured-clone data: configs, deployment records, keys, events.
 */

export interface WorkerInit {
  config: EdgeConfig;
  index: number;
  /** how many packet workers the pool runs (steering spreads sources over them) */
  count: number;
  /** per service, the port to bind (worker 0 binds the configured one, the others what it got) */
  ports: (number | null)[];
  logLevel: string;
}

/** A status transition a worker made, with the HLC stamp it applied locally. */
export type WorkerEvent = EventInput & { hlcWall: number; hlcLogical: number };

export type ToWorker =
  /** `compiled`: the main thread's module for it (wasm engine), instantiated as is */
  | { type: 'deploy'; deployment: TenantDeployment; compiled: CompiledProgram | null }
  /** a rules version the main thread applied: lists built and filters compiled there */
  | { type: 'rules'; prepared: PreparedRules }
  | { type: 'difficulty'; tenant: string; setting: DifficultySetting }
  /** the tenant's HMAC key from the challenge service (helpers 8, 9, 20) */
  | { type: 'tenant-key'; tenant: string; key: Uint8Array | null }
  | { type: 'key'; op: 'upsert'; init: unknown } | { type: 'key'; op: 'remove'; keyId: number }
  | { type: 'token-key'; op: 'add'; record: unknown } | { type: 'token-key'; op: 'remove'; signingKeyId: number }
  /** transitions other workers made: applied to this worker's overlays without publishing */
  | { type: 'remote'; events: WorkerEvent[] }
  | { type: 'metrics'; id: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; ports: number[]; implementation: string }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'events'; events: WorkerEvent[] }
  | { type: 'metrics'; id: number; json: unknown }
  /** per service, the counters load reports are made of, every LOAD_POST_MS */
  | { type: 'load'; load: { drop: number; rejected: number }[] }
  | { type: 'deploy-result'; tenant: string; version: number; refused: string | null }
  | { type: 'rules-result'; tenant: string; version: number; refused: string | null }
  | { type: 'stopped' };
