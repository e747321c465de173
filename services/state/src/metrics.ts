import { serveServiceHttp, type ServiceHttp, type ServiceHttpOptions } from '@flowshield/service-http';
import type { StreamInfo } from '@nats-io/jetstream';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How long one look at the streams serves the scrape that asked for it (its gauges collect together). */
const STREAM_INFO_REUSE_MS = 500;

/** Everything the state service counts, in its own registry (no global state between instances). */
export class StateMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({ name: 'fs_state_events_applied_total', help: 'Events merged into the replica', registers: [this.registry] });
  readonly eventsChanged = new Counter({ name: 'fs_state_events_changed_total', help: 'Events that replaced a register', registers: [this.registry] });
  readonly mergeUnread = new Counter({ name: 'fs_state_merge_unread_total', help: 'Registers written without reading them first (the event was above the replica high-water mark)', registers: [this.registry] });
  readonly messagesApplied = new Counter({ name: 'fs_state_messages_applied_total', help: 'Stream messages committed (batches and dead letters)', registers: [this.registry] });
  readonly malformed = new Counter({ name: 'fs_state_malformed_messages_total', help: 'Messages that did not decode, by reason code', labelNames: ['code'], registers: [this.registry] });
  readonly rejected = new Counter({ name: 'fs_state_events_rejected_total', help: 'Event stream messages refused, never merged and dead-lettered, by reason (malformed; edge_mismatch: the batch names another edge than its subject; clock_ahead: an event stamped more than 5 minutes after the stream stored it)', labelNames: ['reason'], registers: [this.registry] });
  readonly streamLost = new Counter({ name: 'fs_state_stream_lost_messages_total', help: 'Stream messages this replica never merged because the stream limits discarded them first (restore the replica from a snapshot)', labelNames: ['stream'], registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'fs_state_deadlettered_total', help: 'Messages copied to the dead-letter subject', registers: [this.registry] });
  readonly commits = new Counter({ name: 'fs_state_commits_total', help: 'LMDB transactions committed', registers: [this.registry] });
  readonly commitSeconds = new Histogram({ name: 'fs_state_commit_seconds', help: 'Time to merge and commit one batch', buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2], registers: [this.registry] });
  readonly lastSequence = new Gauge({ name: 'fs_state_last_sequence', help: 'Last stream sequence merged', labelNames: ['stream'], registers: [this.registry] });
  readonly snapshots = new Counter({ name: 'fs_state_snapshots_total', help: 'Snapshots written to the object store', registers: [this.registry] });
  readonly snapshotFailures = new Counter({ name: 'fs_state_snapshot_failures_total', help: 'Snapshots that failed', registers: [this.registry] });
  readonly sequenceConflicts = new Counter({ name: 'fs_state_sequence_conflicts_total', help: 'Commits refused because the replica did not continue from the last commit (its messages are read again)', registers: [this.registry] });
  readonly fetchErrors = new Counter({ name: 'fs_state_fetch_errors_total', help: 'Failed fetches from the stream (retried)', registers: [this.registry] });
  private http: ServiceHttp | null = null;
  private streamSource: (() => Promise<StreamInfo[]>) | null = null;
  private streamLook: { at: number; infos: Promise<StreamInfo[]> } | null = null;

  /** `labels` go on every series (the replica's region and datacenter). */
  constructor(labels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'fs_state_' });
    const metrics = this;
    const streamGauge = (name: string, help: string, labelNames: string[], fill: (info: StreamInfo, set: (labels: Record<string, string>, value: number) => void) => void) =>
      new Gauge({
        name, help, labelNames, registers: [this.registry],
        async collect() {
          const infos = await metrics.streams();
          this.reset();
          for (const info of infos) fill(info, (labels, value) => this.set({ stream: info.config.name, ...labels }, value));
        },
      });
    streamGauge('fs_state_stream_bytes', 'Bytes the stream holds', ['stream'], (i, set) => set({}, i.state.bytes));
    streamGauge('fs_state_stream_messages', 'Messages the stream holds', ['stream'], (i, set) => set({}, i.state.messages));
    streamGauge('fs_state_stream_first_sequence', 'Oldest sequence the stream still holds (a replica behind it lost messages)', ['stream'], (i, set) => set({}, i.state.first_seq));
    streamGauge('fs_state_stream_limit', 'The stream limits configured (0 = none); discard policy old', ['stream', 'limit'], (i, set) => {
      set({ limit: 'max_bytes' }, Math.max(0, i.config.max_bytes));
      set({ limit: 'max_msgs' }, Math.max(0, i.config.max_msgs));
      set({ limit: 'max_age_seconds' }, i.config.max_age / 1e9);
    });
  }

  /** Where the stream gauges read from (the state service's connection); none until set. */
  watchStreams(source: () => Promise<StreamInfo[]>): void {
    this.streamSource = source;
  }

  private streams(): Promise<StreamInfo[]> {
    const source = this.streamSource;
    if (!source) return Promise.resolve([]);
    const now = Date.now();
    if (!this.streamLook || now - this.streamLook.at > STREAM_INFO_REUSE_MS) {
      // NATS away: the gauges are left out of this scrape rather than failing it.
      this.streamLook = { at: now, infos: source().catch(() => []) };
    }
    return this.streamLook.infos;
  }

  /** Serves GET /metrics and GET /healthz (`readiness`); resolves with the bound port. */
  async listen(port: number, host: string, readiness: ServiceHttpOptions['readiness']): Promise<number> {
    this.http = await serveServiceHttp({ host, port, metrics: this.registry, readiness });
    return this.http.port;
  }

  async close(): Promise<void> {
    const http = this.http;
    this.http = null;
    await http?.close();
  }
}
