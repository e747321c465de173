import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { ensureEventStreams, EventPublisher } from '@flowshield/events';
import { ipToBytes16, Status, type StatusEvent } from '@flowshield/proto';
import { ReplicaWriter } from '@flowshield/replica';
import { connect } from '@nats-io/transport-node';
import { jsonOf, runCli } from './event-cli.test-support.js';

async function publishPhase(pub: EventPublisher, count: number, salt: number): Promise<StatusEvent[]> {
  const out: StatusEvent[] = [];
  for (let i = 0; i < count; i++) {
    const r = (i * 7 + salt) % 400;
    const e = pub.publish({ tenant: 'acme', ip: ipToBytes16(`10.1.${r >> 8}.${r & 255}`), prevStatus: Status.NONE,
      status: ((i + salt) % 4) as Status, expiry: 0, reason: 1, programVersion: salt });
    out.push(e!);
  }
  await pub.flush();
  return out;
}

test('cli replay - replay --until T produces the digest of the state as it was at T', async () => {
  const nats = await NatsTestServer.start();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-replay-'));
  try {
    const nc = await connect({ servers: nats.url });
    await ensureEventStreams(nc);
    await nc.close();
    const pubA = new EventPublisher({ servers: nats.url, edgeId: 'edge-a', maxBatchEvents: 200 });
    const pubB = new EventPublisher({ servers: nats.url, edgeId: 'edge-b', maxBatchEvents: 200 });
    const before = [...await publishPhase(pubA, 3_000, 1), ...await publishPhase(pubB, 2_000, 2)];
    const until = Math.max(...before.map((e) => e.hlcWall));
    await new Promise((r) => setTimeout(r, 20));
    const later = [...await publishPhase(pubA, 2_000, 3), ...await publishPhase(pubB, 1_000, 4)];
    assert.ok(later.every((e) => e.hlcWall > until));
    await pubA.close();
    await pubB.close();

    const expectedWriter = ReplicaWriter.open(join(dir, 'expected'));
    expectedWriter.merge({ stream: 'FS_EVENTS', lastSequence: 0, messages: 0, events: before });
    const expected = expectedWriter.digest();
    await expectedWriter.close();

    const out = join(dir, 'replayed');
    const run = await runCli(['replay', '--until', String(until), '--out', out, '--server', nats.url, '--json', '--commit-events', '700']);
    const result = jsonOf(run);
    assert.equal(result.digest, expected.digest);
    assert.equal(result.entries, expected.entries);
    assert.equal(result.eventsMerged, 5_000);
    assert.equal(result.eventsAfterUntil, 3_000);
    // stderr is not a terminal here, so progress comes as plain lines ending at 100%.
    assert.match(run.stderr, /^replay: +\d+% /m);
    assert.match(run.stderr, /replay: 100% /);

    const digest = jsonOf(await runCli(['state', 'digest', '--db', out, '--json']));
    assert.equal(digest.digest, expected.digest);

    const again = await runCli(['replay', '--until', 'now', '--out', out, '--server', nats.url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^flowshield: .* is not empty/);
    assert.equal(again.stderr.trim().split('\n').length, 1, 'one-line failure');
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
