import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { OperatorKeySet, PROGRAMS_BUCKET, checkDeploymentSignature, decodeDeployment, deploymentKey, encodeDeployment } from '@flowshield/proto';
import { runCli } from '../testing/run-cli.js';
import { assertOneLineFailure, cliJson, compileExample, tempDir } from './programs-cli.test-support.js';

test('cli keys operator init - writes operator.key (0600) and operator.pub, refuses to overwrite without --force; deploy signs with it', { timeout: testTimeout(60_000) }, async () => {
  const dir = tempDir('flowshield-cli-operator-');
  const nats = await NatsTestServer.start();
  try {
    const made = await cliJson(['keys', 'operator', 'init', '--out', join(dir, 'keys')]);
    assert.match(String(made.publicKey), /^ed25519:[0-9a-f]{64}$/);
    assert.equal(made.keyFile, join(dir, 'keys', 'operator.key'));
    assert.equal(statSync(String(made.keyFile)).mode & 0o777, 0o600);
    assert.match(readFileSync(String(made.keyFile), 'utf8'), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(readFileSync(String(made.pubFile), 'utf8'), `${made.publicKey}\n`);

    assertOneLineFailure(await runCli(['keys', 'operator', 'init', '--out', join(dir, 'keys')]), /operator\.key exists; .*pass --force to replace it$/m);
    assert.equal(readFileSync(String(made.pubFile), 'utf8'), `${made.publicKey}\n`, 'the old pair stays');

    // The default folder is the data dir (FLOWSHIELD_DATA_DIR), and the text form prints the key first.
    const text = await runCli(['keys', 'operator', 'init'], { env: { FLOWSHIELD_DATA_DIR: join(dir, 'data') } });
    assert.equal(text.code, 0, text.stderr);
    const publicKey = text.stdout.split('\n')[0]!;
    assert.equal(readFileSync(join(dir, 'data', 'operator.pub'), 'utf8'), `${publicKey}\n`);
    const forced = await cliJson(['keys', 'operator', 'init', '--force'].concat(['--out', join(dir, 'data')]));
    assert.notEqual(forced.publicKey, publicKey);

    // deploy and rollback sign with --signing-key (or <data dir>/operator.key); the records verify under that public key only.
    const magic = await compileExample(dir, 'magic_token.c');
    await cliJson(['deploy', magic, '--tenant', 'acme', '--server', nats.url, '--signing-key', String(made.keyFile)]);
    await cliJson(['deploy', magic, '--tenant', 'acme', '--server', nats.url, '--signing-key', String(made.keyFile)]);
    // rollback republishes only what the key it signs with had signed: not another key's record, nor an unsigned one.
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--server', nats.url], { env: { FLOWSHIELD_OPERATOR_KEY: '', FLOWSHIELD_DATA_DIR: join(dir, 'data') } }),
      /version 1 of tenant acme is not signed by this operator key, so it may not be what was deployed; deploy the program again instead$/m);
    const back = await runCli(['rollback', '--tenant', 'acme', '--server', nats.url, '--json', '--signing-key', String(made.keyFile)]);
    assert.equal(back.code, 0, back.stderr);
    const nc = await connect({ servers: nats.url });
    try {
      const kv = await new Kvm(nc).open(PROGRAMS_BUCKET);
      const revisions: ReturnType<typeof decodeDeployment>[] = [];
      for await (const e of await kv.history({ key: deploymentKey('acme') })) revisions.push(decodeDeployment(e.value));
      // deployedAt always rises (edges refuse a record whose deployedAt is not after the running one's).
      assert.ok(revisions.every((d, i) => i === 0 || d.deployedAt > revisions[i - 1]!.deployedAt), JSON.stringify(revisions.map((d) => d.deployedAt)));
      const first = new OperatorKeySet([String(made.publicKey)]);
      const second = new OperatorKeySet([String(forced.publicKey)]);
      assert.deepEqual(revisions.map((d) => [d.version, checkDeploymentSignature(d, first), checkDeploymentSignature(d, second)]), [
        [1, 'ok', 'bad_signature'], [2, 'ok', 'bad_signature'], [1, 'ok', 'bad_signature'],
      ]);
      assert.notDeepEqual(revisions[2]!.signature, revisions[0]!.signature, 'the rollback is signed anew');
      await kv.put(deploymentKey('acme'), encodeDeployment({ ...revisions[1]!, version: 3, deployedAt: Date.now() + 1000, signature: null }));
    } finally {
      await nc.close();
    }
    const unsigned = await cliJson(['programs', '--server', nats.url]) as { programs: Array<{ signedBy: string | null }> };
    assert.equal(unsigned.programs[0]!.signedBy, null, 'the unsigned record written by hand shows as such');
    await cliJson(['rollback', '--tenant', 'acme', '--signing-key', String(made.keyFile), '--server', nats.url]); // to v2, signed by this key
    assertOneLineFailure(await runCli(['rollback', '--tenant', 'acme', '--to', '3', '--server', nats.url, '--signing-key', String(made.keyFile)]), /version 3 of tenant acme is not signed, so/);
    const listed = await cliJson(['programs', '--server', nats.url]) as { programs: Array<{ signedBy: string; version: number }> };
    assert.deepEqual([listed.programs[0]!.version, listed.programs[0]!.signedBy], [2, made.publicKey]);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
