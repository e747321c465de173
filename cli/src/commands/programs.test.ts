import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import { encodeDeployment } from '@flowshield/proto';
import { runCli } from '../testing/run-cli.js';
import { assertOneLineFailure, cliJson, compileExample, putRaw, tempDir } from './programs-cli.test-support.js';

interface Listed { programs: Array<{ tenant: string; version: number }>; skipped: Array<{ key: string; revision: number | null; reason: string }> }

test('cli programs - garbage in the bucket is reported on stderr and skipped; valid tenants still listed', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-programs-');
  const server = ['--server', nats.url];
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    await cliJson(['deploy', magic, '--tenant', 'acme', ...server]);
    await cliJson(['deploy', magic, '--tenant', 'beta', '--monitoring', ...server]);
    const sample = { tenant: 'beta', version: 7, object: Uint8Array.of(1), sha256: 'ab'.repeat(32), section: '', failVerdict: 'drop' as const,
      monitoring: false, budget: 1, deployedAt: 0, deployedBy: 'x', rolledBackFrom: null, signature: null };
    await putRaw(nats.url, 'tenant.broken', new TextEncoder().encode('not a record'));
    await putRaw(nats.url, 'tenant.trunc', Uint8Array.of(1, 0xc1));
    await putRaw(nats.url, 'tenant.empty', new Uint8Array(0));
    await putRaw(nats.url, 'tenant.liar', encodeDeployment(sample)); // names tenant beta
    await putRaw(nats.url, 'stray-key', Uint8Array.of(1, 2, 3));

    const result = await runCli(['programs', '--json', ...server]);
    assert.equal(result.code, 0, result.stderr);
    const listed = JSON.parse(result.stdout) as Listed;
    assert.deepEqual(listed.programs.map((p) => [p.tenant, p.version]), [['acme', 1], ['beta', 1]]);
    assert.deepEqual(listed.skipped.map((s) => s.key), ['stray-key', 'tenant.broken', 'tenant.empty', 'tenant.liar', 'tenant.trunc']);
    assert.match(listed.skipped.find((s) => s.key === 'tenant.liar')!.reason, /names tenant "beta" under key tenant\.liar/);
    assert.match(listed.skipped.find((s) => s.key === 'tenant.empty')!.reason, /empty/);
    const warnings = result.stderr.trim().split('\n');
    assert.equal(warnings.length, 5);
    for (const w of warnings) assert.match(w, /^flowshield: warning: skipped \S+( revision \d+)?: .+$/);

    const table = await runCli(['programs', ...server]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TENANT\s+VERSION\s+SHA256\s+DEPLOYED AT\s+DEPLOYED BY\s+MODE\s+FAIL\s+NOTE\n/);
    assert.match(table.stdout, /^beta\s+v1\s+[0-9a-f]{12}\s+\S+\s+\S+\s+monitoring\s+drop$/m);

    // One tenant; its history with a garbage revision on top.
    assert.deepEqual((await cliJson(['programs', '--tenant', 'beta', ...server]) as unknown as Listed).programs.map((p) => p.tenant), ['beta']);
    await putRaw(nats.url, 'tenant.acme', Uint8Array.of(9, 9));
    const history = await runCli(['programs', '--tenant', 'acme', '--history', ...server]);
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^1\s+v1\s/m);
    assert.match(history.stdout, /no live version: revision \d+ is malformed: deployment record version 9 is not 1/);
    assert.match(history.stderr, /^flowshield: warning: skipped tenant\.acme revision \d+: deployment record version 9 is not 1\n$/);
    const historyJson = await cliJson(['programs', '--tenant', 'acme', '--history', ...server]);
    assert.equal(historyJson.live, null);
    assert.equal((historyJson.revisions as unknown[]).length, 1);
    assert.equal((historyJson.skipped as unknown[]).length, 1);

    assertOneLineFailure(await runCli(['programs', '--tenant', 'acme', ...server]), /tenant acme has no readable live version: revision \d+ is malformed: deployment record version 9 is not 1$/m);
    assertOneLineFailure(await runCli(['programs', '--tenant', 'nobody', ...server]), /tenant nobody has no program deployed/);
    assertOneLineFailure(await runCli(['programs', '--tenant', 'nobody', '--history', ...server]), /tenant nobody has no program deployed/);
    assertOneLineFailure(await runCli(['programs', '--history', ...server]), /--history needs --tenant/);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli programs - an empty bucket lists nothing and exits 0', { timeout: testTimeout(30_000) }, async () => {
  const nats = await NatsTestServer.start();
  try {
    const text = await runCli(['programs', '--server', nats.url]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, 'no programs deployed\n');
    assert.deepEqual(await cliJson(['programs', '--server', nats.url]), { programs: [], skipped: [] });
  } finally {
    await nats.dispose();
  }
});
