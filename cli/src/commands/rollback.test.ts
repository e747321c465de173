import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import { runCli } from '../testing/run-cli.js';
import { assertOneLineFailure, cliJson, compileExample, putRaw, tempDir } from './programs-cli.test-support.js';

interface Listed { programs: Array<{ version: number; sha256: string; rolledBackFrom: number | null; revision: number }> }
interface History { live: number | null; revisions: Array<{ revision: number; version: number; rolledBackFrom: number | null; live: boolean }>; skipped: unknown[] }

test('cli rollback - v1 becomes live again with rolledBackFrom=2; repeated rollbacks walk down, never back up', { timeout: testTimeout(180_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-rollback-');
  const server = ['--server', nats.url];
  try {
    const objects = await Promise.all(['magic_token.c', 'challenge.c', 'rate_limit.c'].map((n) => compileExample(dir, n)));
    const deployed = [];
    for (const o of objects.slice(0, 2)) deployed.push(await cliJson(['deploy', o, '--tenant', 'acme', ...server]));

    const back = await cliJson(['rollback', '--tenant', 'acme', ...server]);
    assert.deepEqual(back, { tenant: 'acme', version: 1, sha256: deployed[0]!.sha256, rolledBackFrom: 2 });
    const live = (await cliJson(['programs', '--tenant', 'acme', ...server]) as unknown as Listed).programs[0]!;
    assert.deepEqual({ version: live.version, sha256: live.sha256, rolledBackFrom: live.rolledBackFrom, revision: live.revision },
      { version: 1, sha256: deployed[0]!.sha256, rolledBackFrom: 2, revision: 3 });

    // Nothing below v1: refused, and nothing is written.
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', ...server]), /nothing to roll back to: version 1 is the oldest/);
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--to', '1', ...server]), /version 1 is already live/);
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--to', '9', ...server]), /version 9 of tenant acme is not in the kept history \(have: 1, 2\)/);

    // --to goes forward too; a new deploy after a rollback takes a version never used before.
    assert.deepEqual(await cliJson(['rollback', '--tenant', 'acme', '--to', '2', ...server]), { tenant: 'acme', version: 2, sha256: deployed[1]!.sha256, rolledBackFrom: 1 });
    assert.equal((await cliJson(['deploy', objects[2]!, '--tenant', 'acme', ...server])).version, 3);
    assert.equal((await cliJson(['rollback', '--tenant', 'acme', ...server])).version, 2);
    const text = await runCli(['rollback', '--tenant', 'acme', ...server]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^rolled back tenant acme from version 2 to version 1, sha256 [0-9a-f]{64}\n$/);

    const history = await cliJson(['programs', '--tenant', 'acme', '--history', ...server]) as unknown as History;
    assert.deepEqual(history.revisions.map((r) => [r.revision, r.version, r.rolledBackFrom, r.live]), [
      [1, 1, null, false], [2, 2, null, false], [3, 1, 2, false], [4, 2, 1, false], [5, 3, null, false], [6, 2, 3, false], [7, 1, 2, true],
    ]);
    assert.equal(history.live, 1);
    const table = await runCli(['programs', '--tenant', 'acme', '--history', ...server]);
    assert.match(table.stdout, /^7\s+v1\s+.*rollback from v2\s+\*$/m);

    assertOneLineFailure(await runCli(['rollback', '--tenant', 'nobody', ...server]), /tenant nobody has no program deployed/);
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--to', 'two', ...server]), /--to must be a version number/);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli rollback - an unreadable live record: refused without --to, restored with it', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-rollback-garbage-');
  const server = ['--server', nats.url];
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    const first = await cliJson(['deploy', magic, '--tenant', 'acme', ...server]);
    await putRaw(nats.url, 'tenant.acme', new TextEncoder().encode('garbage'));

    const refused = await runCli(['rollback', '--tenant', 'acme', ...server]);
    assertOneLineFailure(refused, /no readable live version \(revision 2 is malformed: deployment record version 103 is not 1\); choose one with --to/);

    const restored = await runCli(['rollback', '--tenant', 'acme', '--to', '1', '--json', ...server]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(JSON.parse(restored.stdout), { tenant: 'acme', version: 1, sha256: first.sha256, rolledBackFrom: null });
    assert.match(restored.stderr, /^flowshield: warning: skipped tenant\.acme revision 2: deployment record version 103 is not 1\n$/);
    // A deploy after garbage still counts from the highest readable version.
    assert.equal((await cliJson(['deploy', magic, '--tenant', 'acme', ...server])).version, 2);

    // A deleted key: nothing is live, rollback needs --to, and versions go on from the history.
    await putRaw(nats.url, 'tenant.acme', 'delete');
    assert.deepEqual(await cliJson(['programs', ...server]), { programs: [], skipped: [] });
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', ...server]), /no readable live version \(deleted at revision 5\)/);
    assert.equal((await cliJson(['rollback', '--tenant', 'acme', '--to', '2', ...server])).version, 2);
    assert.equal((await cliJson(['deploy', magic, '--tenant', 'acme', ...server])).version, 3);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
