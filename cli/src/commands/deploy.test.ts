import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NatsTestServer, freePort, testTimeout } from '@flowshield/test-support';
import { runCli, runCliProcess } from '../testing/run-cli.js';
import {
  TEST_OPERATOR, UNINITIALISED_READ_C, assertOneLineFailure, cliJson, compileExample, compileSource, tempDir,
} from './programs-cli.test-support.js';

const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

test('cli deploy - two versions: v1 then v2, programs shows v2 live with its sha256', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-deploy-');
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    const challenge = await compileExample(dir, 'challenge.c');
    const first = await cliJson(['deploy', magic, '--tenant', 'acme', '--server', nats.url]);
    assert.equal(first.tenant, 'acme');
    assert.equal(first.version, 1);
    assert.equal(first.sha256, sha256Of(magic));
    assert.ok((first.instructions as number) > 0);

    const text = await runCli(['deploy', challenge, '--tenant', 'acme', '--server', nats.url, '--monitoring', '--fail-verdict', 'pass', '--budget', '5000']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`version 2, sha256 ${sha256Of(challenge)}`));

    const listed = await cliJson(['programs', '--server', nats.url]) as { programs: Record<string, unknown>[]; skipped: unknown[] };
    assert.equal(listed.programs.length, 1);
    assert.deepEqual(
      { ...listed.programs[0], deployedAt: undefined, deployedBy: undefined },
      {
        tenant: 'acme', version: 2, sha256: sha256Of(challenge), section: '', failVerdict: 'pass', monitoring: true, budget: 5000,
        deployedAt: undefined, deployedBy: undefined, rolledBackFrom: null, revision: 2, bytes: readFileSync(challenge).length,
        signedBy: TEST_OPERATOR.signer.publicKeyText,
      },
    );
    assert.match(String(listed.programs[0]!.deployedAt), /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(listed.skipped, []);

    const table = await runCli(['programs', '--server', nats.url]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^acme\\s+v2\\s+${sha256Of(challenge).slice(0, 12)}\\s.*monitoring\\s+pass`, 'm'));

    // Another tenant's versions are its own.
    assert.equal((await cliJson(['deploy', magic, '--tenant', 'other', '--server', nats.url])).version, 1);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli deploy - a program the verifier refuses never reaches the bucket; the live version stays', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-deploy-bad-');
  try {
    const good = await compileExample(dir, 'magic_token.c');
    await cliJson(['deploy', good, '--tenant', 'acme', '--server', nats.url]);
    const bad = await compileSource(dir, 'bad.c', UNINITIALISED_READ_C);

    const refused = await runCli(['deploy', bad, '--tenant', 'acme', '--server', nats.url]);
    assertOneLineFailure(refused, /^flowshield: .*bad\.o: instruction \d+ \(.*bad\.c:5:\d+\): /);
    assert.equal(refused.stdout, '');

    const history = await cliJson(['programs', '--tenant', 'acme', '--history', '--server', nats.url]) as { live: number; revisions: unknown[] };
    assert.equal(history.live, 1);
    assert.equal(history.revisions.length, 1);
    const live = await cliJson(['programs', '--tenant', 'acme', '--server', nats.url]) as { programs: Array<{ sha256: string }> };
    assert.equal(live.programs[0]!.sha256, sha256Of(good));
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli deploy - concurrent deploys of one tenant all succeed with distinct versions', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-deploy-race-');
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    const runs = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      runCli(['deploy', magic, '--tenant', 'race', '--server', nats.url, '--json', '--deployed-by', `job-${i}`])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const versions = runs.map((r) => (JSON.parse(r.stdout) as { version: number }).version).sort((a, b) => a - b);
    assert.deepEqual(versions, [1, 2, 3, 4, 5, 6]);
    const history = await cliJson(['programs', '--tenant', 'race', '--history', '--server', nats.url]) as { live: number; revisions: Array<{ version: number; deployedBy: string }> };
    assert.deepEqual(history.revisions.map((r) => r.version), [1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(history.revisions.map((r) => r.deployedBy)).size, 6);
    assert.equal(history.live, 6);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli deploy - NATS unreachable, bad options and --help: one line, right exit code', { timeout: testTimeout(60_000) }, async () => {
  const dir = tempDir('flowshield-cli-deploy-opts-');
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    const nobody = `nats://127.0.0.1:${await freePort()}`;
    // Through the real bin once: its exit code and its one line on stderr.
    assertOneLineFailure(await runCliProcess(['deploy', magic, '--tenant', 'acme', '--server', nobody]), /cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+$/m);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme'], { env: { NATS_URL: nobody } }), /cannot reach NATS at /);
    assertOneLineFailure(await runCli(['programs', '--server', nobody]), /cannot reach NATS at /);
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--server', nobody]), /cannot reach NATS at /);

    assertOneLineFailure(await runCli(['deploy', magic, '--server', nobody]), /--tenant is required/);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'no/slash', '--server', nobody]), /not a tenant name/);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--fail-verdict', 'maybe', '--server', nobody]), /--fail-verdict must be pass or drop/);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--budget', 'none', '--server', nobody]), /--budget must be a positive integer/);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--budget', '1000001', '--server', nobody]), /--budget 1000001 is over the maximum of 1000000 instructions per run/);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--type', 'xdp', '--server', nobody]), /--type xdp differs from cf_ebpf_generic/);
    assertOneLineFailure(await runCli(['deploy', join(dir, 'missing.o'), '--tenant', 'acme', '--server', nobody]), /cannot read .*missing\.o: ENOENT/);

    for (const verb of ['deploy', 'rollback', 'programs']) {
      const help = await (verb === 'deploy' ? runCliProcess : runCli)([verb, '--help']);
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^Usage: flowshield ${verb} `));
      assert.match(help.stdout, /--server <url>/);
      if (verb !== 'programs') assert.match(help.stdout, /--signing-key <file>/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli deploy - a record over the server\'s maximum message size is refused with one line', { timeout: testTimeout(60_000) }, async () => {
  const dir = tempDir('flowshield-cli-deploy-big-');
  const config = join(dir, 'small.conf');
  writeFileSync(config, 'max_payload: 4096\n');
  const nats = await NatsTestServer.start({ args: ['-c', config] });
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    assert.ok(readFileSync(magic).length > 4096);
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--server', nats.url]),
      /the tenant\.acme record would be \d+ bytes, over the server's maximum message size of 4096$/m);
    assert.deepEqual(await cliJson(['programs', '--server', nats.url]), { programs: [], skipped: [] });
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli deploy - without an operator key: one line saying how to make one; nothing is written', { timeout: testTimeout(60_000) }, async () => {
  const nats = await NatsTestServer.start();
  const dir = tempDir('flowshield-cli-deploy-nokey-');
  try {
    const magic = await compileExample(dir, 'magic_token.c');
    const env = { FLOWSHIELD_OPERATOR_KEY: '', FLOWSHIELD_DATA_DIR: join(dir, 'data') };
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--server', nats.url], { env }),
      /no operator signing key at .*data\/operator\.key \(ENOENT\): make one with `flowshield keys operator init`, or pass --signing-key FILE$/m);
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--server', nats.url], { env }), /no operator signing key at .*operator\.key/);
    writeFileSync(join(dir, 'garbage.key'), 'not a key\n');
    assertOneLineFailure(await runCli(['deploy', magic, '--tenant', 'acme', '--server', nats.url, '--signing-key', join(dir, 'garbage.key')]), /garbage\.key is not an operator signing key/);
    assert.deepEqual(await cliJson(['programs', '--server', nats.url]), { programs: [], skipped: [] });
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
