import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { RateLimitedLog } from './rate-limited-log.js';

function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const settle = () => new Promise((r) => setImmediate(r));

test('rate-limited log - one line per kind per interval, the next one says how many were held back', async () => {
  const { logger, lines } = capture();
  let now = 0;
  const log = new RateLimitedLog(logger, 1_000, () => now);
  for (let i = 0; i < 50; i++) log.warn('malformed:short', { i }, 'malformed datagram');
  log.warn('malformed:long', { i: -1 }, 'malformed datagram');
  await settle();
  assert.deepEqual(lines.map((l) => [l.kind, l.i, l.suppressed]), [['malformed:short', 0, 0], ['malformed:long', -1, 0]]);
  now = 999;
  log.warn('malformed:short', { i: 50 }, 'malformed datagram');
  now = 1_000;
  log.warn('malformed:short', { i: 51 }, 'malformed datagram');
  await settle();
  assert.equal(lines.length, 3);
  assert.deepEqual([lines[2]!.i, lines[2]!.suppressed, lines[2]!.level], [51, 50, 40]);
});

test('rate-limited log - fields given as a function are made only for lines written; info keeps its level', async () => {
  const { logger, lines } = capture();
  const log = new RateLimitedLog(logger, 60_000);
  let made = 0;
  for (let i = 0; i < 10; i++) log.info('sample', () => ({ made: ++made }), 'a sample');
  await settle();
  assert.equal(made, 1);
  assert.deepEqual([lines.length, lines[0]!.level], [1, 30]);
});
