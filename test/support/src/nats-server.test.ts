import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import { NatsTestServer } from './nats-server.js';

function banner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString()); });
    socket.once('error', reject);
  });
}

test('test-support - nats-server starts with JetStream on a free port, stops and comes back', async () => {
  const server = await NatsTestServer.start();
  try {
    assert.match(await banner(server.port), /^INFO .*"jetstream":true/);
    await server.stop();
    await assert.rejects(banner(server.port));
    await server.start();
    assert.match(await banner(server.port), /^INFO /);
  } finally {
    await server.dispose();
  }
});
