import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import type { MetricsSource } from '@flowshield/service-http';
import { AggregatorRegistry, Counter, Gauge, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';
import type { EventPublisher } from '@flowshield/events';
import { STATUS_NAMES, type Status } from '@flowshield/proto';
import { MAX_ANALYTICS_TAGS, OTHER_TAG } from './analytics-tags.js';
import { REJECTION_LABELS } from './answer-reasons.js';
import type { ProtectedService } from './protected-service.js';
import { MemoryBound } from './memory-bound.js';
import { implementation } from '@flowshield/udp-batch';
import { MONITORED_ACTIONS, SWAP_RESULTS } from './tenant-runtime.js';
import { RULES_SWAP_RESULTS } from './tenant-rules.js';

/**
 * Prometheus metrics of one edge. The packet path only increments plain numbers in TenantStats;
 * these collectors copy them at scrape time, so no label lookup happens per packet.
 */
/**
 * The labels every edge series carries: where the edge runs (its config's region and datacenter).
 * None when both are the default `local` (one machine), so a single-site edge's series stay as
 * they were.
 */
export function placeLabels(config: { region: string; datacenter: string }): Record<string, string> {
  return config.region === 'local' && config.datacenter === 'local' ? {} : { region: config.region, datacenter: config.datacenter };
}

export function edgeMetrics(services: readonly ProtectedService[], publisher: () => EventPublisher | null, control: { connected: boolean; badRecords: number }, options: { processMetrics?: boolean; packetWorkers?: () => number; labels?: Record<string, string>; thread?: string; memory?: MemoryBound } = {}): Registry {
  const registry = new Registry();
  // The same on every thread, so the main thread's sum over workers matches series by series.
  if (options.labels) registry.setDefaultLabels(options.labels);
  // Packet workers leave the process metrics to the main thread (one process).
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'fs_edge_' });
  // With packet workers the main thread sums every worker's registry with its own at scrape time
  // (AggregatorRegistry): counts add up; the few values every thread reports alike take the max.
  const counter = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string | number>, value: number) => void) => void, aggregator: Aggregator = 'sum') =>
    new Counter({ name, help, labelNames, registers: [registry], aggregator, collect() { this.reset(); fill((labels, value) => this.inc(labels, value)); } });
  const gauge = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string | number>, value: number) => void) => void, aggregator: Aggregator = 'sum') =>
    new Gauge({ name, help, labelNames, registers: [registry], aggregator, collect() { this.reset(); fill((labels, value) => this.set(labels, value)); } });
  const each = (fn: (s: ProtectedService, tenant: string, version: number) => void) => services.forEach((s) => fn(s, s.config.tenant, s.runtime.version));

  counter('fs_edge_packets_total', 'Every datagram read, by tenant, program version and verdict (dropped before the program: malformed, see fs_edge_malformed_total; overload, a new source while the receive queue was deep)', ['tenant', 'version', 'verdict'], (inc) => each((s, tenant, version) => {
    for (const verdict of ['pass', 'drop'] as const) inc({ tenant, version, verdict }, s.runtime.stats.packets[verdict]);
    inc({ tenant, version, verdict: 'malformed' }, s.malformedTotal);
    inc({ tenant, version, verdict: 'overload' }, s.overloadDropped);
  }));
  counter('fs_edge_bytes_total', 'Payload bytes by tenant, program version and verdict', ['tenant', 'version', 'verdict'], (inc) => each((s, tenant, version) => {
    for (const verdict of ['pass', 'drop'] as const) inc({ tenant, version, verdict }, s.runtime.stats.bytes[verdict]);
  }));
  counter('fs_edge_monitored_total', 'What programs in monitoring mode would have done (every such packet passed; nothing was sent or written)', ['tenant', 'would'], (inc) => each((s, tenant) => {
    for (const would of MONITORED_ACTIONS) inc({ tenant, would }, s.runtime.stats.monitored[would]);
  }));
  counter('fs_edge_program_errors_total', 'Program runs that faulted or returned an undefined value, by code', ['tenant', 'version', 'code'], (inc) => each((s, tenant, version) => {
    for (const [code, n] of s.runtime.stats.programErrors) inc({ tenant, version, code }, n);
  }));
  counter('fs_edge_budget_exhausted_total', 'Program runs ended by the instruction budget', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.stats.budgetExhausted)));
  counter('fs_edge_tenant_shed_total', 'Datagrams that took the fail verdict unrun because the tenant was over its program CPU share', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.stats.shed)));
  counter('fs_edge_no_program_total', 'Datagrams that arrived while no program was deployed', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.stats.noProgram)));
  counter('fs_edge_challenges_sent_total', 'Challenges sent to sources', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.stats.challengesSent)));
  counter('fs_edge_challenges_refused_total', 'Challenges withheld by the per-source and per-network limits', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.host.challengesRefused)));
  counter('fs_edge_replies_refused_total', 'Program replies (helper 68) withheld by the per-source and per-network limits', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.runtime.host.repliesRefused)));
  counter('fs_edge_challenge_answers_total', 'Challenge answers by result', ['tenant', 'result'], (inc) => each((s, tenant) => {
    inc({ tenant, result: 'accepted' }, s.runtime.stats.answersAccepted);
    inc({ tenant, result: 'rejected' }, s.runtime.host.rejections.total);
  }));
  counter('fs_edge_answers_rejected_total', 'Standard-challenge answers rejected, by reason, whatever the program did with them', ['tenant', 'reason'], (inc) => each((s, tenant) => {
    for (const reason of REJECTION_LABELS) inc({ tenant, reason }, s.runtime.host.rejections.byLabel[reason]);
  }));
  counter('fs_edge_tokens_total', 'Verified tokens by result', ['tenant', 'result'], (inc) => each((s, tenant) => {
    inc({ tenant, result: 'accepted' }, s.runtime.stats.tokens.accepted);
    inc({ tenant, result: 'rejected' }, s.runtime.stats.tokens.rejected);
    inc({ tenant, result: 'rate_limited' }, s.runtime.stats.tokens.rateLimited);
  }));
  counter('fs_edge_malformed_total', 'Datagrams rejected before the program, by reason', ['tenant', 'reason'], (inc) => each((s, tenant) => {
    for (const [reason, n] of s.malformed) inc({ tenant, reason }, n);
  }));
  counter('fs_edge_program_counter_total', 'Counters programs add to (helper 66), by id', ['tenant', 'id'], (inc) => each((s, tenant) => {
    for (const [id, n] of s.runtime.host.counters) inc({ tenant, id }, Number(n));
  }));
  counter('fs_edge_analytics_tag_packets_total', `Packets a program tagged for network analytics (helper 18), by tag; past ${MAX_ANALYTICS_TAGS} distinct tags per tenant and packet thread, later ones count as tag="${OTHER_TAG}"`, ['tenant', 'tag'], (inc) => each((s, tenant) => {
    for (const [tag, n] of s.runtime.stats.analyticsTags.counts) inc({ tenant, tag }, n);
  }));
  counter('fs_edge_program_swaps_total', 'Program deployments applied or refused: refused (does not load), unsigned, bad_signature (not by a configured operator key, or altered), over_budget', ['tenant', 'result'], (inc) => each((s, tenant) => {
    for (const result of SWAP_RESULTS) inc({ tenant, result }, s.runtime.stats.swaps[result]);
  }), 'max');
  // The firewall's counters (exact: doubles counted on the packet path, summed over the workers).
  const ruleCounters = (inc: (labels: Record<string, string | number>, value: number) => void, field: 'packets' | 'bytes') => each((s, tenant) => {
    for (const c of s.rules.firewall.rules?.counters() ?? []) inc({ tenant, rule: c.id, mode: c.mode, action: c.action }, c[field]);
  });
  counter('fs_edge_rule_packets_total', 'Packets each firewall rule matched, by rule id, mode and action (monitoring rules count what they would do)', ['tenant', 'rule', 'mode', 'action'], (inc) => ruleCounters(inc, 'packets'));
  counter('fs_edge_rule_bytes_total', 'Bytes (IP packet length) of the packets each firewall rule matched', ['tenant', 'rule', 'mode', 'action'], (inc) => ruleCounters(inc, 'bytes'));
  gauge('fs_edge_rules_version', 'Rules version running, per tenant (0 = none)', ['tenant'], (set) => each((s, tenant) => set({ tenant }, s.rules.version)), 'max');
  counter('fs_edge_rules_swaps_total', 'Rules versions applied or refused: refused (a list, program or expression failed), unsigned, bad_signature, stale', ['tenant', 'result'], (inc) => each((s, tenant) => {
    for (const result of RULES_SWAP_RESULTS) inc({ tenant, result }, s.rules.swaps[result]);
  }), 'max');
  gauge('fs_edge_io_implementation', 'Datagram I/O in use: native (recvmmsg/sendmmsg addon) or dgram (the fallback twin)', ['implementation'], (set) => {
    const used = services[0]?.implementation ?? implementation;
    for (const name of ['native', 'dgram']) set({ implementation: name }, name === used ? 1 : 0);
  }, 'max');
  gauge('fs_edge_packet_workers', 'Packet threads serving the sockets (1: the packet path runs on the main thread)', [], (set) => set({}, options.packetWorkers?.() ?? 0), 'max');
  counter('fs_edge_receive_dropped_total', 'Datagrams the kernel dropped because the listen socket\'s receive buffer was full', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.socketStats()?.dropped ?? 0)));
  gauge('fs_edge_table_bytes', 'Bytes the per-source tables (sessions, status overlay, per-IP and per-flow data) take at their configured bounds, over every packet worker', ['tenant'], (set) => each((s, tenant) => set({ tenant }, s.tableBytes())));
  // Per thread, so a heap that grows under a flood is seen where it grows (the process RSS is fs_edge_process_resident_memory_bytes).
  const thread = options.thread ?? 'main';
  gauge('fs_edge_thread_heap_bytes', "V8 heap each thread has committed, by thread and space (young: the new spaces; old: the rest); ArrayBuffers (the tables) are outside it", ['thread', 'space'], (set) => {
    const young = getHeapSpaceStatistics().filter((h) => h.space_name.startsWith('new_')).reduce((n, h) => n + h.space_size, 0);
    set({ thread, space: 'young' }, young);
    set({ thread, space: 'old' }, getHeapStatistics().total_heap_size - young);
  });
  const memory = options.memory;
  if (memory) {
    gauge('fs_edge_memory_bound_bytes', 'Resident memory this edge stays under: rssLimitBytes, or what it took once ready plus its allowance (0 until ready)', [], (set) => set({}, memory.bound ?? 0), 'max');
    gauge('fs_edge_memory_peak_bytes', 'Peak resident memory of the process since it started (getrusage)', [], (set) => set({}, MemoryBound.peakResident()), 'max');
    counter('fs_edge_memory_over_bound_total', 'Samples (one a second) of resident memory found over fs_edge_memory_bound_bytes', [], (inc) => inc({}, memory.samplesOver), 'max');
  }
  gauge('fs_edge_steered_sources', 'Verified sources the attached steering program sends to their own socket (0 without steering)', ['tenant'], (set) => each((s, tenant) => set({ tenant }, s.steering?.attached ?? 0)));
  counter('fs_edge_steered_packets_total', "Datagrams read from the verified sources' own socket", ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.steeredReceived)));
  counter('fs_edge_send_dropped_total', 'Challenges and replies dropped because the send buffer was full', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.sendDropped)));
  gauge('fs_edge_program_version', 'Program version running, per tenant (0 = none)', ['tenant'], (set) => each((_s, tenant, version) => set({ tenant }, version)), 'max');
  gauge('fs_edge_sessions', 'Client sessions, and those relaying to the origin', ['tenant', 'kind'], (set) => each((s, tenant) => {
    set({ tenant, kind: 'known' }, s.sessions.size);
    set({ tenant, kind: 'relaying' }, s.sessions.relaying);
  }));
  counter('fs_edge_sessions_refused_total', 'Passed packets not relayed: their client address already held sessions.maxPerAddress relaying sessions', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.sessions.refusedPerAddress)));
  counter('fs_edge_status_local_total', 'Status transitions kept on this edge without an event (first contacts: NONE or CHALLENGED to CHALLENGED or NONE), by status set', ['tenant', 'status'], (inc) => each((s, tenant) => {
    s.runtime.host.state.localTransitions.forEach((n, status) => { if (n > 0) inc({ tenant, status: STATUS_NAMES[status as Status] }, n); });
  }));
  gauge('fs_edge_state_overlay_entries', "This edge's own transitions: published ones not yet seen in the replica, and local ones", ['tenant'], (set) => each((s, tenant) => set({ tenant }, s.runtime.host.state.overlaySize)));
  gauge('fs_edge_event_buffer_depth', 'Status events accepted but not yet acknowledged by JetStream', [], (set) => set({}, publisher()?.stats.buffered ?? 0));
  counter('fs_edge_events_total', 'Status events by outcome', ['outcome'], (inc) => {
    const stats = publisher()?.stats;
    if (!stats) return;
    inc({ outcome: 'accepted' }, stats.accepted);
    inc({ outcome: 'published' }, stats.published);
    inc({ outcome: 'overflow' }, stats.overflow);
  });
  gauge('fs_edge_challenge_keys', 'Challenge epoch keys this edge holds (0: it cannot issue or verify challenges)', [], (set) => set({}, services[0]?.runtime.host.keyRing.list().length ?? 0), 'max');
  gauge('fs_edge_tenant_key', "1 while the edge holds the tenant's HMAC key (helpers 8, 9, 20; 0: they return FS_ERR_NO_KEY)", ['tenant'], (set) => each((s, tenant) => set({ tenant }, s.runtime.host.hmacKey ? 1 : 0)), 'max');
  counter('fs_edge_origin_replies_total', 'Datagrams from the origin relayed back to clients', ['tenant'], (inc) => each((s, tenant) => inc({ tenant }, s.sessions.relayed)));
  counter('fs_edge_control_bad_records_total', 'Deployment, key and difficulty records that did not decode', [], (inc) => inc({}, control.badRecords));
  gauge('fs_edge_nats_connected', '1 while the NATS connection is up', [], (set) => set({}, control.connected ? 1 : 0), 'max');
  return registry;
}

/** The text a scrape gets: one registry, or the main thread's and every packet worker's summed. */

export function aggregatedMetrics(main: Registry, workers: () => Promise<unknown[]>): MetricsSource {
  return {
    contentType: main.contentType,
    async metrics() {
      const all = [await main.getMetricsAsJSON(), ...(await workers())];
      return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
    },
  };
}

