import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoOrigin } from '@flowshield/test-support';
import { SessionTable, type ClientSession } from './sessions.js';

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(check(), what);
};

test('sessions - bounded by bytes; an origin socket only for a passed packet; a flood of contacts never evicts it; idleness closes it', async (t) => {
  const origin = await EchoOrigin.start();
  const replies: { session: ClientSession; data: Buffer }[] = [];
  const sessions = new SessionTable({ maxBytes: 4096, idleSeconds: 1, origin: { host: '127.0.0.1', port: origin.port }, onReply: (session, data) => replies.push({ session, data: Buffer.from(data) }) });
  t.after(() => { sessions.close(); origin.close(); });
  const capacity = sessions.capacity;
  assert.ok(capacity > 10 && sessions.bytes <= 4096, `${capacity} sessions and ${sessions.contacts.capacity} contacts in ${sessions.bytes} of 4096 bytes`);
  const flood = (tag: number) => {
    for (let i = 0; i < sessions.contacts.capacity * 10; i++) {
      sessions.get(`127.${tag}.${i >> 8}.${i & 255}`, 1000 + (i % 7), Date.now());
      assert.ok(sessions.contacts.size <= sessions.contacts.capacity);
    }
  };

  // A flood of sources: each one a contact, never a socket, never past the capacity.
  flood(9);
  assert.equal(sessions.contacts.size, sessions.contacts.capacity);
  assert.equal(sessions.relaying, 0);

  // A passed packet opens the client's origin socket; the reply comes back for that client.
  const a = sessions.get('127.0.0.5', 4000, Date.now());
  assert.equal(a.slot, -1, 'a contact until a packet of it passes');
  assert.deepEqual([...a.ip.bytes.subarray(12)], [127, 0, 0, 5]);
  sessions.forward(a, Buffer.from('hello'));
  assert.equal(sessions.relaying, 1);
  await until(() => replies.length === 1, 'the origin reply');
  assert.equal(replies[0]!.session.address, '127.0.0.5');
  assert.equal(replies[0]!.session.port, 4000);
  assert.equal(replies[0]!.data.toString(), 'echo:hello');
  const relayed = sessions.get('127.0.0.5', 4000, Date.now());
  assert.ok(relayed.slot >= 0, 'a relaying session now');
  assert.equal(sessions.get('127.0.0.5', 4000, Date.now()).slot, relayed.slot, 'the same source, the same session');

  // Spoofed sources that never pass churn the contacts only: the quiet player keeps its socket.
  flood(8);
  assert.equal(sessions.relaying, 1, 'the player\'s origin socket stayed open');
  assert.equal(sessions.get('127.0.0.5', 4000, Date.now()).slot, relayed.slot);

  // Evicted by newer relaying sessions: its socket closes, and its stale handle is admitted again on forward.
  for (let i = 0; i < capacity; i++) sessions.forward(sessions.get(`127.7.${i >> 8}.${i & 255}`, 1, Date.now()), Buffer.from('x'));
  assert.equal(sessions.relaying, capacity);
  assert.ok(sessions.get('127.0.0.5', 4000, Date.now()).slot < 0, 'evicted: a contact again');
  sessions.forward(relayed, Buffer.from('again'));
  await until(() => replies.some((r) => r.data.toString() === 'echo:again'), 'the reply after readmission');
  assert.equal(replies.find((r) => r.data.toString() === 'echo:again')!.session.address, '127.0.0.5');

  // Idle: the sweeper closes sessions and forgets contacts not seen for idleSeconds.
  await until(() => sessions.size === 0, 'idle sessions swept');
  assert.equal(sessions.relaying, 0);
});

test('sessions - an entry cap below the byte budget holds', () => {
  const sessions = new SessionTable({ max: 5, idleSeconds: 60, origin: { host: '127.0.0.1', port: 9 }, onReply: () => undefined });
  try {
    for (let i = 0; i < 50; i++) sessions.get(`127.0.1.${i}`, 1, 0);
    assert.equal(sessions.capacity, 5);
    assert.equal(sessions.size, 5);
  } finally {
    sessions.close();
  }
});

test('sessions - one address holds at most maxPerAddress relaying sessions; a closed one frees its place', async (t) => {
  const origin = await EchoOrigin.start();
  const sessions = new SessionTable({ maxPerAddress: 3, idleSeconds: 60, origin: { host: '127.0.0.1', port: origin.port }, onReply: () => undefined });
  t.after(() => { sessions.close(); origin.close(); });
  // An address that passed once (status is per address) sending from port after port.
  for (let port = 1; port <= 5; port++) sessions.forward(sessions.get('127.0.0.9', port, Date.now()), Buffer.from('x'));
  assert.equal(sessions.relaying, 3);
  assert.equal(sessions.refusedPerAddress, 2);
  // Its sessions keep relaying; another address is not held back.
  sessions.forward(sessions.get('127.0.0.9', 2, Date.now()), Buffer.from('y'));
  sessions.forward(sessions.get('127.0.0.10', 1, Date.now()), Buffer.from('z'));
  assert.equal(sessions.relaying, 4);
  assert.equal(sessions.refusedPerAddress, 2);
  // Closed (idle, evicted or at shutdown), a session frees its place for the address.
  sessions.close();
  assert.equal(sessions.relaying, 0);
  for (let port = 10; port < 13; port++) sessions.forward(sessions.get('127.0.0.9', port, Date.now()), Buffer.from('x'));
  assert.equal(sessions.relaying, 3);
  assert.equal(sessions.refusedPerAddress, 2);
});
