import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';

/** Distinct sources the tables are fed, each one datagram from its own address. */
const SOURCES = 200_000;
const ROUND = 2048;
const PARALLEL = 64;
const KiB = 1024;
/** Small budgets, so 200,000 sources are many times what every table holds. */
const BUDGET = { sessionsBytes: 512 * KiB, statusBytes: 512 * KiB, ipDataBytes: 256 * KiB, flowDataBytes: 512 * KiB, bucketBytes: 256 * KiB };
/**
 * RSS the process may grow by besides the tables' own bytes: V8's heap settling (young generation,
 * code), the socket's buffers, allocator slack. Unbounded tables would grow by well over 100 MiB here.
 */
const SLACK_BYTES = 48 * 1024 * KiB;
/** Sources after which every table is full (the largest holds 43,690 entries). */
const FULL_AT = 50_000;
/**
 * Growth allowed from FULL_AT to the end, once every table is full: the old Map-and-object tables
 * grew by about 500 bytes a source, 75 MB over these 150,000 sources.
 */
const STEADY_SLACK_BYTES = 24 * 1024 * KiB;

/** The i-th source: 127.1.0.0, 127.1.0.1, ... (outside 127.0.0.0/24). */
const sourceAddress = (i: number) => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

async function sendFrom(from: number, to: number, port: number, payload: Buffer): Promise<void> {
  let next = from;
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (next < to) {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, sourceAddress(next++), () => resolve()); });
      await new Promise<void>((resolve, reject) => socket.send(payload, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      socket.close();
    }
  }));
}

interface Report {
  received: number;
  overCapacity: number;
  rssBefore: number;
  rss: number;
  peakRss: number;
  configuredBytes: number;
  tables: Record<string, { size: number; capacity: number; bytes: number; evictions: number }>;
}

test('table memory - 200,000 distinct sources: no table past its capacity, RSS growth under the configured bytes plus slack', async (t) => {
  const child = fork(fileURLToPath(new URL('./table-memory.child.js', import.meta.url)), [JSON.stringify(BUDGET)], { execArgv: ['--expose-gc'] });
  t.after(() => child.kill());
  const messages: unknown[] = [];
  let wake: (() => void) | null = null;
  child.on('message', (m) => { messages.push(m); wake?.(); });
  const next = async <T>(): Promise<T> => {
    while (messages.length === 0) await new Promise<void>((r) => (wake = r));
    return messages.shift() as T;
  };
  const report = async () => { child.send('report'); return next<Report>(); };
  const { port } = await next<{ port: number }>();

  // New sources until the tables have seen 200,000: a loaded machine may drop some datagrams,
  // so more are sent, never one source twice. Each round waits until the child stops counting.
  const payload = Buffer.alloc(64, 0x61);
  let sent = 0;
  let last = await report();
  let rssFull: number | null = null;
  while (last.received < SOURCES) {
    await sendFrom(sent, sent + ROUND, port, payload);
    sent += ROUND;
    for (let before = -1; last.received !== before && last.received < sent; ) {
      before = last.received;
      await new Promise((r) => setTimeout(r, 50));
      last = await report();
    }
    assert.equal(last.overCapacity, 0, 'no table ever held more than its capacity');
    if (rssFull === null && last.received >= FULL_AT) rssFull = last.rss;
  }
  const final = await report();
  const growth = final.peakRss - final.rssBefore;
  const steady = final.rss - rssFull!;
  t.diagnostic(`RSS with every table full (${FULL_AT} sources) ${(rssFull! / 2 ** 20).toFixed(1)} MiB, after ${final.received}: ${(final.rss / 2 ** 20).toFixed(1)} MiB (growth ${(steady / 2 ** 20).toFixed(1)} MiB)`);
  t.diagnostic(`sources ${final.received} (sent ${sent}); tables ${final.configuredBytes} bytes; RSS ${(final.rssBefore / 2 ** 20).toFixed(1)} → peak ${(final.peakRss / 2 ** 20).toFixed(1)} MiB (growth ${(growth / 2 ** 20).toFixed(1)} MiB)`);
  t.diagnostic(JSON.stringify(final.tables));
  assert.ok(final.received >= SOURCES);
  assert.equal(final.overCapacity, 0);
  for (const [name, table] of Object.entries(final.tables)) {
    // A relaying session is made only by a passed packet (with its origin socket): first contacts never fill it.
    if (name === 'sessions') {
      assert.equal(table.size, 0, 'no relaying session for a first contact');
      continue;
    }
    assert.equal(table.size, table.capacity, `${name} is full, not past full`);
    assert.ok(table.evictions > 0, `${name} evicted`);
  }
  assert.ok(steady <= STEADY_SLACK_BYTES, `RSS grew ${steady} bytes after every table was full; allowed ${STEADY_SLACK_BYTES}`);
  assert.ok(growth <= final.configuredBytes + SLACK_BYTES, `RSS grew ${growth} bytes; bound ${final.configuredBytes} + ${SLACK_BYTES}`);
});
