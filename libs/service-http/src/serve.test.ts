import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serveServiceHttp, type Readiness } from './serve.js';

test('service http - /metrics, /healthz 200 when ready and 503 with the reason otherwise, 404 elsewhere', async () => {
  let readiness: Readiness | Error = { ready: false, reason: 'not connected to NATS' };
  const http = await serveServiceHttp({
    host: '127.0.0.1', port: 0,
    metrics: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'fs_test_total 1\n' },
    readiness: () => { if (readiness instanceof Error) throw readiness; return readiness; },
  });
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${http.port}${path}`);
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
  };
  try {
    assert.deepEqual(await get('/metrics'), { status: 200, type: 'text/plain; version=0.0.4', body: 'fs_test_total 1\n' });
    const waiting = await get('/healthz');
    assert.equal(waiting.status, 503);
    assert.deepEqual(JSON.parse(waiting.body), { ready: false, reason: 'not connected to NATS' });
    readiness = { ready: true, lag: 0 };
    const ready = await get('/healthz');
    assert.deepEqual([ready.status, ready.type, JSON.parse(ready.body)], [200, 'application/json', { ready: true, lag: 0 }]);
    readiness = new Error('boom');
    const broken = await get('/healthz');
    assert.deepEqual([broken.status, JSON.parse(broken.body)], [503, { ready: false, reason: 'readiness check failed: boom' }]);
    assert.equal((await get('/nothing')).status, 404);
  } finally {
    await http.close();
  }
});
