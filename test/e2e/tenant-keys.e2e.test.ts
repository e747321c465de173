import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoOrigin, RawClient } from '@flowshield/test-support';
import { Stack, metric, until } from './stack.js';

/*
 * The HMAC helpers' per-tenant key (issue 11, item 3) with every part real: nats-server, the
 * challenge service deriving the keys, edges as processes, cookie.c compiled by clang. A cookie
 * is HMAC-SHA256 of the client's address and port, the service port and the minute under the
 * tenant's key, so equal cookies (asked for in the same minute) mean equal keys.
 */
test('e2e - tenant HMAC keys: no key, no MAC; then the same key on two edges and after a restart, another for another tenant', async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  const client = await RawClient.bind('127.0.0.9');
  t.after(async () => {
    client.close();
    origin.close();
    await stack.stop();
  });
  await stack.startNats();
  const program = stack.compile('cookie.c');
  for (const tenant of ['alpha', 'beta']) stack.cli(['deploy', program, '--tenant', tenant]);
  // One public port, as every edge of a service has: a cookie binds it.
  const start = (id: string, tenant: string) => stack.startEdge(id, { replicaPath: null, tenant, originPort: origin.port, publicPort: 207 });
  const [a, b, c] = await Promise.all([start('edge-a', 'alpha'), start('edge-b', 'alpha'), start('edge-c', 'beta')]);
  await Promise.all([a, b, c].map((e) => e.proc.waitFor((l) => l.msg === 'program deployed')));

  // No challenge service yet: the edges hold no key and the helper says so (counter 3 of cookie.c).
  const hello = Buffer.alloc(64, 0x61);
  await client.send(hello, a.port);
  await until(async () => (await metric(a.metricsPort, /fs_edge_program_counter_total\{tenant="alpha",id="3"\} (\d+)/)) === 1, 15_000, 'the no-key count');
  assert.equal(client.messages.length, 0, 'no MAC under any other key');

  await stack.startChallenge();
  await Promise.all([a, b, c].map((e) => e.proc.waitFor((l) => l.msg === 'tenant key' && l.present === true, 30_000)));
  const cookieFrom = async (port: number) => {
    const before = client.messages.length;
    await client.send(hello, port);
    await until(() => client.messages.length > before, 10_000, 'a cookie');
    const reply = client.messages[before]!;
    assert.equal(reply.subarray(0, 3).toString(), 'CK?');
    return reply.subarray(3).toString('hex');
  };
  // A cookie also binds the minute: two asked a moment apart may straddle one, never two.
  const sameCookie = async (x: number, y: number) => {
    for (let attempt = 0; attempt < 2; attempt++) if (await cookieFrom(x) === await cookieFrom(y)) return true;
    return false;
  };
  assert.ok(await sameCookie(a.port, b.port), 'two edges compute the same HMAC for the same tenant');
  const fromA = await cookieFrom(a.port);
  assert.notEqual(await cookieFrom(c.port), fromA, 'another tenant has another key');

  // A cookie from edge A verifies at edge B, then the client plays there.
  await client.send(Buffer.concat([Buffer.from('CK!'), Buffer.from(fromA, 'hex')]), b.port);
  await until(async () => (await metric(b.metricsPort, /fs_edge_program_counter_total\{tenant="alpha",id="5"\} (\d+)/)) === 1, 10_000, 'verified at edge B');
  await client.send('play', b.port);
  await until(() => client.messages.some((m) => m.toString() === 'echo:play'), 10_000, 'the echo through edge B');

  // Edge A restarts (same id, same credentials): the same key again.
  await a.proc.stop();
  const again = await start('edge-a', 'alpha');
  await again.proc.waitFor((l) => l.msg === 'tenant key' && l.present === true, 30_000);
  await again.proc.waitFor((l) => l.msg === 'program deployed');
  // A cookie the old process handed out (a minute or two old at most) verifies at the new one.
  await client.send(Buffer.concat([Buffer.from('CK!'), Buffer.from(fromA, 'hex')]), again.port);
  await until(async () => (await metric(again.metricsPort, /fs_edge_program_counter_total\{tenant="alpha",id="5"\} (\d+)/)) === 1, 10_000, 'the same HMAC after a restart');
});
