import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import { ChallengeService } from '@flowshield/challenge';
import { runCli, runCliProcess } from 'flowshield/testing';

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { env });

test('cli keys - the challenge service behind keys list and keys rotate show ids and epochs, never key bytes', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  const master = new Uint8Array(32).fill(0x3c);
  try {
    const missing = await run(['keys', 'list', '--server', nats.url, '--timeout', '2000']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /^flowshield: no challenge service answers on fs\.challenge\.keys\.list\n$/);

    const service = await ChallengeService.start({ servers: nats.url, masterKey: master, logger: pino({ level: 'silent' }) });
    try {
      const list = await run(['keys', 'list', '--json'], { NATS_URL: nats.url });
      assert.equal(list.code, 0, list.stderr);
      const parsed = JSON.parse(list.stdout) as { epochs: Array<{ id: number; state: string }>; signingKeyIds: number[] };
      assert.deepEqual(parsed.epochs.map((e) => e.state), ['current']);
      assert.deepEqual(parsed.signingKeyIds, [1]);

      const rotate = await run(['keys', 'rotate', '--json', '--server', nats.url]);
      assert.equal(rotate.code, 0, rotate.stderr);
      const r = JSON.parse(rotate.stdout) as { current: number; previous: number };
      assert.equal(r.previous, parsed.epochs[0]!.id);
      assert.ok(r.current > r.previous);

      const table = await run(['keys', 'list', '--server', nats.url]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+STATE\s+ISSUES FROM/m);
      assert.match(table.stdout, new RegExp(`^${r.previous}\\s+previous`, 'm'));
      assert.match(table.stdout, new RegExp(`^${r.current}\\s+current`, 'm'));
      for (const out of [list.stdout, rotate.stdout, table.stdout]) assert.doesNotMatch(out, /[0-9a-f]{32}/i, 'no key material');
    } finally {
      await service.stop();
    }
    const unreachable = await runCliProcess(['keys', 'list', '--server', 'nats://127.0.0.1:1', '--timeout', '1000']);
    assert.notEqual(unreachable.code, 0);
    assert.match(unreachable.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  } finally {
    await nats.dispose();
  }
});
