import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MEMORY, parseEdgeConfig } from './config.js';

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
