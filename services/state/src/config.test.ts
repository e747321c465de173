import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseStateConfig } from './config.js';
import { StateError } from './errors.js';
import { STATE_BIN } from './testing.js';

test('state config - flags win over environment, which wins over defaults', () => {
  const env = { NATS_URL: 'nats://env:4222', STATE_DB: '/env/db', STATE_FETCH_BATCH: '64', STATE_COMMIT_DELAY_MS: '9' };
  const c = parseStateConfig(['--db', '/flag/db', '--commit-delay-ms', '2', '--metrics-port=-1', '--no-bootstrap'], env);
  assert.ok(c !== 'help');
  assert.equal(c.servers, 'nats://env:4222');
  assert.equal(c.db, '/flag/db');
  assert.equal(c.fetchBatch, 64);
  assert.equal(c.commitDelayMs, 2);
  assert.equal((parseStateConfig([], {}) as { commitDelayMs: number }).commitDelayMs, 5);
  assert.equal(c.metricsPort, -1);
  assert.equal(c.bootstrap, false);
  assert.equal(c.replicaId, 'replica-1');
  assert.equal(parseStateConfig(['--help'], {}), 'help');
});

test('state config - credentials and TLS CA from flags, else NATS_CREDS and NATS_TLS_CA, else none', () => {
  const env = { NATS_CREDS: '/env/state.nk', NATS_TLS_CA: '/env/ca.pem' };
  const fromEnv = parseStateConfig([], env);
  assert.ok(fromEnv !== 'help');
  assert.equal(fromEnv.creds, '/env/state.nk');
  assert.equal(fromEnv.tlsCa, '/env/ca.pem');
  const fromFlags = parseStateConfig(['--creds', '/flag/state.nk', '--tls-ca', '/flag/ca.pem'], env);
  assert.ok(fromFlags !== 'help');
  assert.equal(fromFlags.creds, '/flag/state.nk');
  assert.equal(fromFlags.tlsCa, '/flag/ca.pem');
  const none = parseStateConfig([], {});
  assert.ok(none !== 'help');
  assert.equal(none.creds, null);
  assert.equal(none.tlsCa, null);
});

test('state config - bad values are refused with a reason', () => {
  assert.throws(() => parseStateConfig(['--fetch-batch', '0'], {}), (e: unknown) => e instanceof StateError && /fetch-batch/.test(e.message));
  assert.throws(() => parseStateConfig(['--commit-delay-ms', '-1'], {}), (e: unknown) => e instanceof StateError && /commit-delay-ms/.test(e.message));
  assert.throws(() => parseStateConfig(['--replica-id', 'a.b'], {}), StateError);
  assert.throws(() => parseStateConfig(['--bogus'], {}), StateError);
});

test('state bin - --help prints the flags and a bad flag exits non-zero with one line first', () => {
  const help = spawnSync(process.execPath, [STATE_BIN, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--snapshot-interval-ms/);
  const bad = spawnSync(process.execPath, [STATE_BIN, '--fetch-batch', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.split('\n')[0]!, /^flowshield-state: --fetch-batch must be/);
});

test('state config - stream limits: defaults, units, 0 for none, environment and flags', () => {
  const d = parseStateConfig([], {});
  assert.ok(d !== 'help');
  assert.deepEqual(d.eventLimits, { maxBytes: 1024 ** 3, maxMsgs: 0, maxAgeMs: 30 * 24 * 3600 * 1000 });
  assert.deepEqual(d.deadLetterLimits, { maxBytes: 256 * 1024 ** 2, maxMsgs: 100_000, maxAgeMs: 7 * 24 * 3600 * 1000 });
  const c = parseStateConfig(['--events-max-bytes', '512MiB', '--events-max-age-ms', '0', '--deadletter-max-msgs', '10'], { STATE_EVENTS_MAX_MSGS: '5000', STATE_DEADLETTER_MAX_BYTES: '2G' });
  assert.ok(c !== 'help');
  assert.deepEqual(c.eventLimits, { maxBytes: 512 * 1024 ** 2, maxMsgs: 5000, maxAgeMs: 0 });
  assert.deepEqual(c.deadLetterLimits, { maxBytes: 2 * 1024 ** 3, maxMsgs: 10, maxAgeMs: 7 * 24 * 3600 * 1000 });
  assert.equal((parseStateConfig(['--events-max-bytes', '4096'], {}) as { eventLimits: { maxBytes: number } }).eventLimits.maxBytes, 4096);
  for (const bad of [['--events-max-bytes', '1.5G'], ['--events-max-bytes', '-1'], ['--events-max-msgs', '-1'], ['--deadletter-max-age-ms', 'x']]) {
    assert.throws(() => parseStateConfig(bad, {}), (e: unknown) => e instanceof StateError && e.message.includes(bad[0]!), bad.join(' '));
  }
});
