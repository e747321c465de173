import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { jsonOf, runCli } from './event-cli.test-support.js';

test('cli lists - put, ls and get round-trip a list through the object store, as the operator under the production permissions', async () => {
  const nats = await NatsTestServer.start({ auth: {} });
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-cli-lists-'));
  try {
    const creds = ['--server', nats.url, '--creds', nats.credentials!.operator.file];
    // 100k IPv4 /32s and /24s, some IPv6, comments and blank lines
    const lines = ['# abusers', ''];
    for (let i = 0; i < 100_000; i++) lines.push(i % 2 ? `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` : `172.${(i >> 16) & 15 | 16}.${(i >> 8) & 255}.0/24`);
    lines.push('2001:db8::/32  # documentation', '2001:db8:1::5');
    writeFileSync(join(dir, 'abusers.txt'), lines.join('\n'));
    const put = jsonOf(await runCli(['lists', 'put', 'abusers', join(dir, 'abusers.txt'), ...creds, '--json']));
    assert.equal(put.ipv6, 2);
    assert.ok((put.ipv4 as number) > 50_000);
    assert.match(put.sha256 as string, /^[0-9a-f]{64}$/);

    writeFileSync(join(dir, 'small.json'), JSON.stringify(['192.0.2.0/24', '198.51.100.7']));
    assert.equal(jsonOf(await runCli(['lists', 'put', 'small', join(dir, 'small.json'), ...creds, '--json'])).prefixes, 2);

    const ls = jsonOf(await runCli(['lists', 'ls', ...creds, '--json'])) as { lists: { name: string; sha256: string; description: string }[] };
    assert.deepEqual(ls.lists.map((l) => l.name), ['abusers', 'small']);
    assert.equal(ls.lists[0]!.sha256, put.sha256);
    assert.match(ls.lists[1]!.description, /2 IPv4, 0 IPv6/);

    const got = jsonOf(await runCli(['lists', 'get', 'small', ...creds, '--json']));
    assert.deepEqual(got.prefixes, ['192.0.2.0/24', '198.51.100.7']);
    const out = join(dir, 'back.txt');
    assert.equal((await runCli(['lists', 'get', 'abusers', ...creds, '--out', out])).code, 0);
    const back = readFileSync(out, 'utf8').trim().split('\n');
    assert.equal(back.length, (put.prefixes as number));
    assert.ok(back.includes('2001:db8:1::5') && back.includes('10.0.0.1'));

    const bad = await runCli(['lists', 'put', 'bad', join(dir, 'bad.txt'), ...creds]);
    assert.equal(bad.code, 1);
    writeFileSync(join(dir, 'bad.txt'), '192.0.2.0/24\nnot-an-address\n');
    const badLine = await runCli(['lists', 'put', 'bad', join(dir, 'bad.txt'), ...creds]);
    assert.equal(badLine.code, 1);
    assert.match(badLine.stderr, /line 2: "not-an-address" is not an IPv4 or IPv6 address/);
    assert.match((await runCli(['lists', 'get', 'nope', ...creds])).stderr, /no list named nope/);
    assert.match((await runCli(['lists', 'put', 'Bad', join(dir, 'small.json'), ...creds])).stderr, /not a list name/);
  } finally {
    await nats.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
