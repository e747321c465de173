import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketView } from './packet-view.js';
import { compileRules, type RuleSet } from './rule-set.js';
import { parseRulesFile, selectScope } from './rules-file.js';
import { udpPacket } from './packets.test-support.js';

const view = new PacketView();
function decide(rs: RuleSet, dstPort: number, src = '192.0.2.1'): { matched: string[]; rule: string | null; action: string | null } {
  const p = udpPacket({ src, dst: '10.0.0.1', dstPort, payload: 'hello' });
  view.load(p, 0, p.length);
  const d = rs.evaluate(view);
  return {
    matched: [...rs.matched.subarray(0, rs.matchedCount)].map((i) => rs.rules[i]!.id),
    rule: d < 0 ? null : rs.rules[d]!.id,
    action: d < 0 ? null : rs.rules[d]!.action,
  };
}

const FILE = {
  lists: { abusers: ['192.0.2.0/24'] },
  rules: [
    { id: 'log-all', expression: 'udp.dstport > 0', action: 'log' },
    { id: 'mon-block', expression: 'udp.dstport == 1', action: 'block', mode: 'monitoring' },
    { id: 'off', expression: 'udp.dstport == 1', action: 'block', mode: 'disabled' },
    { id: 'allow-1', expression: 'udp.dstport == 1', action: 'allow' },
    { id: 'block-abusers', expression: 'ip.src in $abusers', action: 'block' },
    { id: 'run-2', expression: 'udp.dstport == 2', action: 'run', program: 'game' },
  ],
};

test('rules set - matched lists enabled and monitoring rules in order; the first enabled terminating rule decides', () => {
  const rs = compileRules(parseRulesFile(FILE));
  assert.deepEqual(decide(rs, 1), { matched: ['log-all', 'mon-block', 'allow-1', 'block-abusers'], rule: 'allow-1', action: 'allow' });
  assert.deepEqual(decide(rs, 2), { matched: ['log-all', 'block-abusers', 'run-2'], rule: 'block-abusers', action: 'block' });
  assert.deepEqual(decide(rs, 2, '198.51.100.1'), { matched: ['log-all', 'run-2'], rule: 'run-2', action: 'run' });
  assert.deepEqual(decide(rs, 3, '198.51.100.1'), { matched: ['log-all'], rule: null, action: null }); // log never decides
  assert.ok(!rs.rules.some((r) => r.id === 'off'), 'disabled rules are not compiled in');
  assert.deepEqual(rs.references, { lists: ['abusers'], bpf: [], programs: ['game'] });
});

test('rules set - counters are exact per rule, mode and action; a swap keeps those whose id persists', () => {
  const v1 = compileRules(parseRulesFile(FILE));
  for (let i = 0; i < 5; i++) decide(v1, 1);
  for (let i = 0; i < 3; i++) decide(v1, 2, '198.51.100.1');
  const bytes = udpPacket({ src: '192.0.2.1', dst: '10.0.0.1', payload: 'hello' }).length;
  const c1 = new Map(v1.counters().map((c) => [c.id, c]));
  assert.deepEqual(c1.get('log-all'), { id: 'log-all', mode: 'enabled', action: 'log', packets: 8, bytes: 8 * bytes });
  assert.equal(c1.get('mon-block')!.packets, 5);
  assert.equal(c1.get('run-2')!.packets, 3);
  assert.equal(c1.get('off'), undefined);

  // v2: mon-block becomes enabled (a new counter; the monitoring one is kept, frozen), run-2 is gone
  const v2File = { ...FILE, rules: [FILE.rules[0]!, { ...FILE.rules[1]!, mode: 'enabled' }, FILE.rules[3]!] };
  const v2 = compileRules(parseRulesFile(v2File));
  v2.adoptCounters(v1);
  decide(v2, 1);
  const c2 = v2.counters();
  const find = (id: string, mode: string) => c2.find((c) => c.id === id && c.mode === mode);
  assert.equal(find('log-all', 'enabled')!.packets, 9);
  assert.equal(find('mon-block', 'enabled')!.packets, 1);
  assert.equal(find('mon-block', 'monitoring')!.packets, 5);
  assert.equal(find('allow-1', 'enabled')!.packets, 6);
  assert.equal(c2.some((c) => c.id === 'run-2' || c.id === 'block-abusers'), false);
});

test('rules set - the most specific scope present wins, alone', () => {
  const file = parseRulesFile({
    rules: [
      { id: 'g', expression: 'udp.dstport > 0', action: 'block', scope: 'global' },
      { id: 'r', expression: 'udp.dstport > 0', action: 'allow', scope: 'region:eu' },
      { id: 'd', expression: 'udp.dstport > 0', action: 'skip', scope: 'datacenter:fra1', mode: 'disabled' },
    ],
  });
  assert.equal(selectScope(file, {}), 'global');
  assert.equal(selectScope(file, { region: 'us' }), 'global');
  assert.equal(selectScope(file, { region: 'eu', datacenter: 'ams1' }), 'region:eu');
  // a scope whose rules are all disabled still wins: disabling them does not bring back another scope's rules
  assert.equal(selectScope(file, { region: 'eu', datacenter: 'fra1' }), 'datacenter:fra1');
  assert.deepEqual(decide(compileRules(file, { region: 'eu' }), 5).rule, 'r');
  assert.deepEqual(decide(compileRules(file, { region: 'eu', datacenter: 'fra1' }), 5).rule, null);
  assert.deepEqual(decide(compileRules(file), 5).rule, 'g');
});

test('rules set - every rule of every scope is checked, and every error is listed', () => {
  const file = parseRulesFile({
    rules: [
      { id: 'a', expression: 'udp.dstport == x', action: 'block', scope: 'region:eu' },
      { id: 'b', expression: 'ip.src in $missing', action: 'block' },
      { id: 'c', expression: 'udp.bogus == 1', action: 'block', mode: 'disabled' },
    ],
  });
  assert.throws(() => compileRules(file), (e: Error) => /rule "a"/.test(e.message) && /rule "c"/.test(e.message) && /line 1, column 16/.test(e.message));
  const onlyList = parseRulesFile({ rules: [{ id: 'b', expression: 'ip.src in $missing', action: 'block' }] });
  assert.throws(() => compileRules(onlyList), /no list named \$missing/);
  const bpf = parseRulesFile({ rules: [{ id: 'b', expression: 'bpf("tail_check")', action: 'block' }] });
  assert.throws(() => compileRules(bpf), /needs a program host/);
  assert.deepEqual(compileRules(bpf, { bpf: () => 1 }).references.bpf, ['tail_check']);
});

test('rules file - validation names the path of the problem', () => {
  const cases: [unknown, RegExp][] = [
    ['{', /not JSON/],
    [[], /\(root\)/],
    [{ rules: [], extra: 1 }, /extra: unknown key/],
    [{ rules: {} }, /rules: must be an array/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'drop' }] }, /rules\[0\]\.action: must be one of block, allow, skip, log, run/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block', mdoe: 'disabled' }] }, /rules\[0\]\.mdoe: unknown key/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block', mode: 'on' }] }, /rules\[0\]\.mode/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block', scope: 'country:de' }] }, /rules\[0\]\.scope/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'run', program: 'bad name' }] }, /rules\[0\]\.program: a program name is/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block', program: 'p' }] }, /rules\[0\]\.program: only a run rule names a program/],
    [{ rules: [{ id: 'a', expression: ' ', action: 'block' }] }, /rules\[0\]\.expression/],
    [{ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block' }, { id: 'a', expression: 'udp.dstport == 2', action: 'log' }] }, /rules\[1\]\.id: duplicate/],
    [{ lists: { Bad: [] }, rules: [] }, /lists\.Bad/],
    [{ lists: { ok: [1] }, rules: [] }, /lists\.ok: must be an array of prefix strings/],
  ];
  for (const [input, re] of cases) assert.throws(() => parseRulesFile(input), re, JSON.stringify(input));
  const defaults = parseRulesFile({ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'block' }] }).rules[0]!;
  assert.equal(defaults.mode, 'enabled');
  assert.equal(defaults.scope, 'global');
  assert.equal(parseRulesFile({ rules: [{ id: 'a', expression: 'udp.dstport == 1', action: 'run' }] }).rules[0]!.program, null);
  assert.throws(() => compileRules(parseRulesFile({ lists: { l: ['10.0.0.1/8'] }, rules: [] })), /lists\.l entry 0: .*bits set/);
});
