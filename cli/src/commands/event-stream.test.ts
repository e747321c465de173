import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStackFile } from '../local-stack/stack-file.js';
import { eventStream } from './event-options.js';

test('event stream - --stream, else FLOWSHIELD_EVENTS_STREAM, else the first replica\'s region aggregate of a multi-region stack.json, else FS_EVENTS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-stream-'));
  const saved = process.env.FLOWSHIELD_EVENTS_STREAM;
  delete process.env.FLOWSHIELD_EVENTS_STREAM;
  try {
    const stack = (region: string) => writeStackFile(dir, {
      nats: 'nats://127.0.0.1:1', edges: [], replicas: [{ region, db: join(dir, 'state') }], credentials: { operator: null, edge: null, state: null, challenge: null },
    });
    assert.equal(eventStream({ dataDir: dir }), 'FS_EVENTS', 'no stack.json');
    stack('local');
    assert.equal(eventStream({ dataDir: dir }), 'FS_EVENTS', 'a one-node stack');
    stack('region-2');
    assert.equal(eventStream({ dataDir: dir }), 'FS_AGG_region-2');
    process.env.FLOWSHIELD_EVENTS_STREAM = 'FS_AGG_x';
    assert.equal(eventStream({ dataDir: dir }), 'FS_AGG_x');
    assert.equal(eventStream({ dataDir: dir, stream: 'FS_HUB_y' }), 'FS_HUB_y');
    assert.throws(() => eventStream({ stream: 'no.dots' }), /not a stream name/);
  } finally {
    if (saved === undefined) delete process.env.FLOWSHIELD_EVENTS_STREAM;
    else process.env.FLOWSHIELD_EVENTS_STREAM = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});
