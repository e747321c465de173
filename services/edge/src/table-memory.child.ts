/*
 * The edge's per-source tables on a real UDP socket, in a process of their own so its RSS is
 * theirs (table-memory.test.ts): every datagram goes through what the packet path does for a first
 * contact — its contact entry (no relaying session: none of its packets passed), a CHALLENGED status in the overlay, per-IP and per-flow data, the dry-run
 * shadow and a token bucket. Answers the parent's 'report' with counts, capacities and RSS.
 * argv[2]: the budgets as JSON ({sessionsBytes, statusBytes, ipDataBytes, flowDataBytes, bucketBytes}).
 */
import { createSocket } from 'node:dgram';
import { FLOW_KEY_BYTES, TokenBuckets, flowKeyInto } from '@flowshield/vm';
import { SessionTable } from './sessions.js';
import { TenantState } from './state-overlay.js';
import { DryRunState, DRY_RUN_TABLE_BYTES } from './dry-run-state.js';

const budget = JSON.parse(process.argv[2]!) as { sessionsBytes: number; statusBytes: number; ipDataBytes: number; flowDataBytes: number; bucketBytes: number };
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const sessions = new SessionTable({ maxBytes: budget.sessionsBytes, idleSeconds: 3600, origin: { host: '127.0.0.1', port: 9 }, onReply: () => undefined });
const state = new TenantState('t', null, { current: null }, budget);
const dry = new DryRunState(state);
const buckets = new TokenBuckets(budget.bucketBytes);
const tables = {
  sessions: sessions.relayingTable,
  contacts: sessions.contacts,
  overlay: state.overlay.table,
  firstContacts: state.firstContacts.table,
  ipData: state.ipData.table,
  flowData: state.flowData.table,
  dryStatuses: dry.statuses.table,
  dryIpData: dry.ipData.table,
  dryFlowData: dry.flowData.table,
  buckets: buckets.table,
};
const configuredBytes = Object.values(tables).reduce((sum, t) => sum + t.bytes, 0);
const flow = new Uint8Array(FLOW_KEY_BYTES);
const local = new Uint8Array(16);
let received = 0;
let overCapacity = 0;
let peakRss = 0;

const socket = createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
socket.on('message', (_data, rinfo) => {
  const now = Date.now();
  const session = sessions.get(rinfo.address, rinfo.port, now);
  const ip = session.ip.bytes;
  // Mostly first contacts; every 16th source verified, so the published statuses fill too.
  state.setStatus(ip, { status: (received & 15) === 0 ? 2 : 1, expiry: now / 1000 + 60 }, now / 1000);
  state.setIpData(ip, BigInt(received));
  state.setFlowData(flowKeyInto(flow, ip, rinfo.port, local, 7), 1n);
  dry.setStatus(ip, { status: 1, expiry: 0 });
  dry.setIpData(ip, 2n);
  dry.setFlowData(flow, 3n);
  buckets.take(1, ip, 2, 4, now / 1000);
  received++;
  for (const t of Object.values(tables)) if (t.size > t.capacity) overCapacity++;
  if ((received & 1023) === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
});

socket.bind(0, '127.0.0.1', () => {
  gc();
  const rssBefore = process.memoryUsage.rss();
  process.on('message', (message) => {
    if (message !== 'report') return;
    gc();
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    process.send!({
      received, overCapacity, rssBefore, rss, peakRss, configuredBytes, dryRunTableBytes: DRY_RUN_TABLE_BYTES,
      tables: Object.fromEntries(Object.entries(tables).map(([name, t]) => [name, { size: t.size, capacity: t.capacity, bytes: t.bytes, evictions: t.evictions }])),
    });
  });
  process.send!({ port: socket.address().port });
});
