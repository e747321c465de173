import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, EventPublisher } from '@flowshield/events';
import { ipToBytes16, ReasonCode, Status } from '@flowshield/proto';
import { connect } from '@nats-io/transport-node';
import { runCli } from './event-cli.test-support.js';
import { parseTime } from './event-options.js';

test('cli events - the log filtered by IP, edge and HLC time, as lines or JSON', async () => {
  const nats = await NatsTestServer.start();
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    await nc.close();
    const a = new EventPublisher({ servers: nats.url, edgeId: 'edge-a' });
    const b = new EventPublisher({ servers: nats.url, edgeId: 'edge-b' });
    const ip = ipToBytes16('203.0.113.5');
    const base = { tenant: 'acme', expiry: 0, programVersion: 4 };
    a.publish({ ...base, ip, prevStatus: Status.NONE, status: Status.CHALLENGED, reason: ReasonCode.CHALLENGE_ISSUED, hlcWall: 1_000_000, hlcLogical: 0 });
    b.publish({ ...base, ip: ipToBytes16('203.0.113.6'), prevStatus: Status.NONE, status: Status.BLOCKED, reason: ReasonCode.PROGRAM, hlcWall: 1_000_500, hlcLogical: 0 });
    a.publish({ ...base, ip, prevStatus: Status.CHALLENGED, status: Status.BLOCKED, reason: ReasonCode.CHALLENGE_FAILED, hlcWall: 1_001_000, hlcLogical: 0 });
    await a.close();
    await b.close();

    const all = await runCli(['events', '--server', nats.url, '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').length, 3);

    const one = await runCli(['events', '--server', nats.url, '--ip', '203.0.113.5', '--json']);
    const lines = one.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines.map((l) => [l.from, l.to, l.edge, l.reason]), [
      ['NONE', 'CHALLENGED', 'edge-a', 'CHALLENGE_ISSUED'], ['CHALLENGED', 'BLOCKED', 'edge-a', 'CHALLENGE_FAILED'],
    ]);

    const window = await runCli(['events', '--server', nats.url, '--until', new Date(1_000_600).toISOString(), '--since', new Date(1_000_100).toISOString()]);
    assert.equal(window.code, 0);
    assert.match(window.stdout, /203\.0\.113\.6  NONE -> BLOCKED .* edge edge-b/);
    assert.equal(window.stdout.trim().split('\n').length, 1);

    const edge = await runCli(['events', '--server', nats.url, '--edge', 'edge-b', '--json']);
    assert.equal(edge.stdout.trim().split('\n').length, 1);

    const bad = await runCli(['events', '--server', nats.url, '--since', 'yesterday-ish']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^flowshield: --since: not a time/);
  } finally {
    await nats.dispose();
  }
});

test('cli events - times are ISO dates, UNIX seconds or milliseconds, or offsets from now', () => {
  const now = 1_800_000_000_000;
  assert.equal(parseTime('2027-01-15T08:00:00Z', '--since', now), Date.parse('2027-01-15T08:00:00Z'));
  assert.equal(parseTime('1800000000', '--since', now), now);
  assert.equal(parseTime('1800000000000', '--since', now), now);
  assert.equal(parseTime('-15m', '--since', now), now - 900_000);
  assert.equal(parseTime('now', '--since', now), now);
});

test('cli status - current status, expiry and the event that set it, from the local replica', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-status-'));
  try {
    const { ReplicaWriter } = await import('@flowshield/replica');
    const w = ReplicaWriter.open(dir);
    const ip = ipToBytes16('2001:db8::9');
    const event = { tenant: 'acme', ip, prevStatus: Status.CHALLENGED, status: Status.VERIFIED, expiry: 0, hlcWall: 1_700_000_000_000, hlcLogical: 2, edgeId: 'edge-z', seq: 77, reason: ReasonCode.CHALLENGE_SOLVED, programVersion: 9 } as const;
    w.merge({ stream: 'FS_EVENTS', lastSequence: 1, messages: 1, events: [event, { ...event, ip: ipToBytes16('192.0.2.1'), status: Status.BLOCKED, expiry: 1_000 }] });
    await w.close();

    const json = await runCli(['status', '2001:db8::9', '--tenant', 'acme', '--db', dir, '--json']);
    const body = JSON.parse(json.stdout) as { status: string; setBy: Record<string, unknown> };
    assert.equal(body.status, 'VERIFIED');
    assert.equal(body.setBy.edge, 'edge-z');
    assert.equal(body.setBy.seq, 77);
    assert.equal(body.setBy.reason, 'CHALLENGE_SOLVED');

    const expired = await runCli(['status', '192.0.2.1', '--tenant', 'acme', '--db', dir]);
    assert.match(expired.stdout, /NONE \(was BLOCKED, expired/);
    const none = await runCli(['status', '192.0.2.2', '--tenant', 'acme', '--db', dir]);
    assert.match(none.stdout, /NONE \(no entry;/);
    const badIp = await runCli(['status', 'not-an-ip', '--tenant', 'acme', '--db', dir]);
    assert.equal(badIp.code, 1);
    assert.match(badIp.stderr, /^flowshield: not an IP address/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
