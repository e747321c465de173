import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MEMORY, parseEdgeConfig, splitMemory } from './config.js';

const withService = (extra: Record<string, unknown>) => ({
  edgeId: 'e1',
  services: [{ tenant: 'arena', listen: { host: '127.0.0.1', port: 0 }, origin: { host: '127.0.0.1', port: 9 }, ...extra }],
});

test('edge config - memory: byte budgets per table, defaults, validation', () => {
  const plain = parseEdgeConfig(withService({})).services[0]!;
  assert.deepEqual(plain.memory, DEFAULT_MEMORY);
  assert.equal(plain.sessions.max, null, 'no entry cap unless asked: the byte budget bounds sessions');
  const set = parseEdgeConfig(withService({ memory: { sessionsBytes: 65536, flowDataBytes: 8192 }, sessions: { max: 10 } })).services[0]!;
  assert.deepEqual(set.memory, { ...DEFAULT_MEMORY, sessionsBytes: 65536, flowDataBytes: 8192 });
  assert.equal(set.sessions.max, 10);
  for (const [memory, message] of [
    [{ sessionsBytes: 100 }, /services\[0\]\.memory\.sessionsBytes must be a whole number of bytes from 4096/],
    [{ statusBytes: 1.5e4 + 0.5 }, /memory\.statusBytes/],
    [{ ipDataBytes: '1MB' }, /memory\.ipDataBytes/],
    [{ maxBytes: 1 << 20 }, /memory\.maxBytes is not a setting/],
    ['big', /memory must be an object/],
  ] as const) {
    assert.throws(() => parseEdgeConfig(withService({ memory })), message);
  }
});

test('edge config - memory is the whole edge\'s: each packet worker gets an even share of every budget', () => {
  const config = parseEdgeConfig(withService({ memory: { sessionsBytes: 1 << 20 }, sessions: { max: 9 } }));
  assert.equal(splitMemory(config, 1), config);
  const half = splitMemory(config, 2).services[0]!;
  assert.deepEqual(half.memory, { sessionsBytes: 1 << 19, statusBytes: DEFAULT_MEMORY.statusBytes / 2, ipDataBytes: DEFAULT_MEMORY.ipDataBytes / 2, flowDataBytes: DEFAULT_MEMORY.flowDataBytes / 2 });
  assert.equal(half.sessions.max, 5);
  const tiny = splitMemory(parseEdgeConfig(withService({ memory: { sessionsBytes: 4096 } })), 8).services[0]!;
  assert.equal(tiny.memory.sessionsBytes, 4096, 'never below the smallest table');
  assert.deepEqual(config.services[0]!.memory.sessionsBytes, 1 << 20, 'the configured budgets are not changed');
});
