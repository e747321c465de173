import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Everything the state service counts, in its own registry (no global state between instances). */
export class StateMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({ name: 'fs_state_events_applied_total', help: 'Events merged into the replica', registers: [this.registry] });
  readonly eventsChanged = new Counter({ name: 'fs_state_events_changed_total', help: 'Events that replaced a register', registers: [this.registry] });
  readonly messagesApplied = new Counter({ name: 'fs_state_messages_applied_total', help: 'Stream messages committed (batches and dead letters)', registers: [this.registry] });
  readonly malformed = new Counter({ name: 'fs_state_malformed_messages_total', help: 'Messages that did not decode, by reason code', labelNames: ['code'], registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'fs_state_deadlettered_total', help: 'Messages copied to the dead-letter subject', registers: [this.registry] });
  readonly commits = new Counter({ name: 'fs_state_commits_total', help: 'LMDB transactions committed', registers: [this.registry] });
  readonly commitSeconds = new Histogram({ name: 'fs_state_commit_seconds', help: 'Time to merge and commit one batch', buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2], registers: [this.registry] });
  readonly lastSequence = new Gauge({ name: 'fs_state_last_sequence', help: 'Last stream sequence merged', labelNames: ['stream'], registers: [this.registry] });
  readonly snapshots = new Counter({ name: 'fs_state_snapshots_total', help: 'Snapshots written to the object store', registers: [this.registry] });
  readonly snapshotFailures = new Counter({ name: 'fs_state_snapshot_failures_total', help: 'Snapshots that failed', registers: [this.registry] });
  readonly fetchErrors = new Counter({ name: 'fs_state_fetch_errors_total', help: 'Failed fetches from the stream (retried)', registers: [this.registry] });
  private server: Server | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'fs_state_' });
  }

  /** Serves GET /metrics; resolves with the bound port. */
  async listen(port: number, host: string): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/metrics') {
        this.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(text);
        }, (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        });
        return;
      }
      res.writeHead(404);
      res.end();
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
