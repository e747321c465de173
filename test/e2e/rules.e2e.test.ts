import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EchoOrigin, RawClient } from '@flowshield/test-support';
import { Stack, metric, until } from './stack.js';

/*
 * The firewall on a running edge (issue 13): an operator deploys a tenant's rules, and traffic is
 * blocked (a list from the object store by name, a bpf() socket filter: tail_check.c), allowed
 * to the origin without the program, skipped to the program (challenge.c: it challenges), and
 * counted exactly; a monitoring rule counts without acting; a new version and a rollback swap in
 * without losing counters. Counts are checked after the fact against the packets sent.
 */

const rule = (tenant: string, id: string, mode: string, action: string) => new RegExp(`fs_edge_rule_packets_total\\{tenant="${tenant}",rule="${id}",mode="${mode}",action="${action}"\\} (\\d+)`);
const ruleBytes = (tenant: string, id: string, mode: string, action: string) => new RegExp(`fs_edge_rule_bytes_total\\{tenant="${tenant}",rule="${id}",mode="${mode}",action="${action}"\\} (\\d+)`);
const isChallenge = (m: Buffer) => m.subarray(0, 4).toString() === 'FSCH';

test('e2e rules - deploy to a running edge: block by list and bpf(), allow, skip to the program, monitoring, exact counters, rollback', async (t) => {
  const stack = new Stack();
  const origin = await EchoOrigin.start();
  const clients: RawClient[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    origin.close();
    await stack.stop();
  });
  await stack.startNats();
  const state = await stack.startState('a');
  await stack.startChallenge();
  stack.cli(['deploy', stack.compile('challenge.c'), '--tenant', 'arena']);
  const edge = await stack.startEdge('edge-a', { replicaPath: state.db, tenant: 'arena', originPort: origin.port });
  await stack.edgeReady(edge);

  // What the rules need, deployed first: a socket filter by name, a list in the object store.
  const tail = stack.compile('tail_check.c');
  const named = JSON.parse(stack.cli(['deploy', tail, '--tenant', 'arena', '--name', 'tail_check', '--type', 'socket_filter', '--json']));
  assert.equal(named.name, 'tail_check');
  const listFile = join(stack.dir, 'abusers.txt');
  writeFileSync(listFile, '# known abusers\n127.0.0.20\n10.0.0.0/8\n');
  stack.cli(['lists', 'put', 'abusers', listFile]);

  const rules = (allowMode: string) => ({
    rules: [
      { id: 'elsewhere', expression: 'udp.length > 0', action: 'block', scope: 'region:elsewhere' }, // not this edge's scope: ignored
      { id: 'count-all', expression: 'udp.length >= 8', action: 'log' },
      { id: 'abusers', expression: 'ip.src in $abusers', action: 'block' },
      { id: 'tail', expression: 'bpf("tail_check")', action: 'block' },
      { id: 'watch', expression: 'udp.payload contains "watch"', action: 'block', mode: 'monitoring' },
      { id: 'allow', expression: 'udp.payload[0:5] == "allow"', action: 'allow', mode: allowMode },
      { id: 'skip', expression: 'udp.payload[0:4] == "skip"', action: 'skip' },
      { id: 'off', expression: 'udp.length > 0', action: 'block', mode: 'disabled' },
    ],
  });
  const v1 = join(stack.dir, 'rules-v1.json');
  writeFileSync(v1, JSON.stringify(rules('enabled')));
  // A deploy checks what the rules reference before publishing: an unknown list is refused.
  const missing = join(stack.dir, 'rules-missing.json');
  writeFileSync(missing, JSON.stringify({ rules: [{ id: 'x', expression: 'ip.src in $nobody', action: 'block' }] }));
  assert.throws(() => stack.cli(['rules', 'deploy', missing, '--tenant', 'arena']), /neither inline nor in fs-lists/);
  const unknownBpf = join(stack.dir, 'rules-bpf.json');
  writeFileSync(unknownBpf, JSON.stringify({ rules: [{ id: 'x', expression: 'bpf("nothing")', action: 'block' }] }));
  assert.throws(() => stack.cli(['rules', 'deploy', unknownBpf, '--tenant', 'arena']), /no program is deployed as named\.arena\.nothing/);

  const deployed = JSON.parse(stack.cli(['rules', 'deploy', v1, '--tenant', 'arena', '--json']));
  assert.equal(deployed.version, 1);
  assert.deepEqual(deployed.lists.map((l: { name: string }) => l.name), ['abusers']);
  assert.deepEqual(deployed.bpf, ['tail_check']);
  await until(async () => (await metric(edge.metricsPort, /fs_edge_rules_version\{tenant="arena"\} (\d+)/)) === 1, 15_000, 'rules version 1 on the edge');

  const [abuser, player, newcomer, tailer, watched] = await Promise.all(['127.0.0.20', '127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24'].map((a) => RawClient.bind(a)));
  clients.push(abuser!, player!, newcomer!, tailer!, watched!);
  const sent = { abuser: 5, player: 4, newcomer: 3, tailer: 2, watched: 3 };
  const sendAll = async (client: RawClient, payload: string, n: number) => {
    for (let i = 0; i < n; i++) await client.send(payload, edge.port);
  };
  await sendAll(abuser!, 'allow me, I am no abuser', sent.abuser); // the list blocks before allow
  await sendAll(player!, 'allow-me', sent.player);
  // A challenge is never larger than its trigger: skipped packets are big enough to be answered with one.
  const pad = (text: string) => text.padEnd(160, '.');
  await sendAll(newcomer!, pad('skip to the program'), sent.newcomer);
  await sendAll(tailer!, 'allow, says the tail: xyzzy', sent.tailer); // bpf() blocks before allow
  await sendAll(watched!, pad('skip, watch me'), sent.watched);
  const total = Object.values(sent).reduce((a, b) => a + b, 0);
  await until(async () => (await metric(edge.metricsPort, rule('arena', 'count-all', 'enabled', 'log'))) === total, 15_000, 'every packet counted by the log rule');
  await until(() => player!.messages.length === sent.player, 10_000, 'the allowed packets echoed by the origin');
  await until(() => newcomer!.messages.length > 0 && watched!.messages.length > 0, 10_000, 'the skipped packets challenged by the program');

  const m = edge.metricsPort;
  assert.equal(await metric(m, rule('arena', 'abusers', 'enabled', 'block')), sent.abuser);
  assert.equal(await metric(m, rule('arena', 'tail', 'enabled', 'block')), sent.tailer);
  assert.equal(await metric(m, rule('arena', 'allow', 'enabled', 'allow')), sent.player + sent.abuser + sent.tailer, 'rules after the deciding one still count');
  assert.equal(await metric(m, ruleBytes('arena', 'allow', 'enabled', 'allow')), sent.player * (28 + 8) + sent.abuser * (28 + 24) + sent.tailer * (28 + 27));
  assert.equal(await metric(m, rule('arena', 'skip', 'enabled', 'skip')), sent.newcomer + sent.watched);
  assert.equal(await metric(m, rule('arena', 'watch', 'monitoring', 'block')), sent.watched, 'monitoring counts what it would block');
  assert.equal(await metric(m, rule('arena', 'count-all', 'enabled', 'log')), total, 'exact, after the fact');
  assert.equal(await metric(m, rule('arena', 'elsewhere', 'enabled', 'block')), 0);
  assert.doesNotMatch(await (await fetch(`http://127.0.0.1:${m}/metrics`)).text(), /rule="off"/, 'a disabled rule is never counted');
  // Blocked: nothing back, nothing at the origin. Allowed: echoed without a challenge. Skipped (the monitored one too): the program challenged.
  assert.equal(abuser!.messages.length + tailer!.messages.length, 0);
  assert.ok(player!.messages.every((d) => d.toString() === 'echo:allow-me'));
  assert.ok(newcomer!.messages.every(isChallenge) && watched!.messages.every(isChallenge));
  assert.deepEqual(origin.received.map((d) => d.toString()), Array(sent.player).fill('allow-me'));
  const byVerdict = async (verdict: string) => metric(m, new RegExp(`fs_edge_packets_total\\{tenant="arena",version="1",verdict="${verdict}"\\} (\\d+)`));
  assert.equal(await byVerdict('drop') + await byVerdict('pass'), total);

  // flowshield rules stats reads the same counters from the edge's endpoint.
  const stats = JSON.parse(stack.cli(['rules', 'stats', '--edge', `http://127.0.0.1:${m}`, '--tenant', 'arena', '--json']));
  const stat = (id: string) => stats.rules.find((r: { rule: string }) => r.rule === id);
  assert.deepEqual({ packets: stat('abusers').packets, mode: stat('abusers').mode, action: stat('abusers').action }, { packets: sent.abuser, mode: 'enabled', action: 'block' });
  assert.equal(stat('count-all').packets, total);

  // Version 2: the allow rule only watches. Its enabled counter stays (frozen), a monitoring one starts.
  const v2 = join(stack.dir, 'rules-v2.json');
  writeFileSync(v2, JSON.stringify(rules('monitoring')));
  assert.equal(JSON.parse(stack.cli(['rules', 'deploy', v2, '--tenant', 'arena', '--json'])).version, 2);
  await until(async () => (await metric(m, /fs_edge_rules_version\{tenant="arena"\} (\d+)/)) === 2, 15_000, 'rules version 2 on the edge');
  const late = await RawClient.bind('127.0.0.25');
  clients.push(late);
  await sendAll(late, pad('allow-me'), 2);
  await until(async () => (await metric(m, rule('arena', 'allow', 'monitoring', 'allow'))) === 2, 10_000, 'the monitored allow rule counting');
  await until(() => late.messages.length > 0, 10_000, 'the program challenging what is no longer allowed');
  assert.ok(late.messages.every(isChallenge));
  const challenged = late.messages.length;
  assert.equal(await metric(m, rule('arena', 'allow', 'enabled', 'allow')), sent.player + sent.abuser + sent.tailer, 'the old counter is kept');
  assert.equal(await metric(m, rule('arena', 'count-all', 'enabled', 'log')), total + 2, 'an unchanged rule keeps counting across the swap');

  // Rollback: version 1 again (republished as the newest revision); its allow counter continues.
  const back = JSON.parse(stack.cli(['rules', 'rollback', '--tenant', 'arena', '--json']));
  assert.deepEqual({ version: back.version, rolledBackFrom: back.rolledBackFrom }, { version: 1, rolledBackFrom: 2 });
  await until(async () => (await metric(m, /fs_edge_rules_version\{tenant="arena"\} (\d+)/)) === 1, 15_000, 'rules version 1 back on the edge');
  await late.send('allow-me', edge.port);
  await until(() => late.messages.length > challenged && late.messages.at(-1)!.toString() === 'echo:allow-me', 10_000, 'allowed again after the rollback');
  assert.equal(await metric(m, rule('arena', 'allow', 'enabled', 'allow')), sent.player + sent.abuser + sent.tailer + 1);
  assert.equal(await metric(m, rule('arena', 'count-all', 'enabled', 'log')), total + 3);
  const ls = JSON.parse(stack.cli(['rules', 'ls', '--tenant', 'arena', '--json']));
  assert.deepEqual(ls.rules.map((r: { version: number; live: boolean }) => [r.version, r.live]), [[1, false], [2, false], [1, true]]);
  assert.equal(edge.proc.child.exitCode, null, 'the edge is still running');
});
