import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { CHALLENGE_SIZE } from '@flowshield/proto';
import { DevResponder } from './dev-responder.js';
import { FlowshieldSocket, type VerifiedEvent } from './flowshield-socket.js';
import type { SolveProgress } from '@flowshield/puzzle';
import { testTimeout } from '@flowshield/test-support';

async function until(check: () => boolean, what: string, tries = 500): Promise<void> {
  for (let i = 0; i < tries && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('sdk socket - handshake over real UDP: challenge solved in a worker, queued packets delivered in order', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 15, subPuzzles: 8 } });
  const { port } = responder.address();
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port, progressIntervalMs: 1 });
  const echoes: string[] = [];
  s.on('message', (buf) => echoes.push(buf.toString()));
  const progress: SolveProgress[] = [];
  s.on('progress', (p) => progress.push(p));
  try {
    const [challenge] = await once(s, 'challenge');
    assert.equal(challenge.difficulty + Math.log2(challenge.subPuzzles), 15);
    assert.equal(s.solving, true);
    // The game keeps sending while the puzzle is solved; the main thread stays free.
    let ticks = 0;
    const spin = setInterval(() => { ticks++; }, 0);
    const verified = once(s, 'verified');
    for (let i = 0; i < 10; i++) s.send(`packet ${i}`);
    assert.equal(s.queued, 10);
    const [v] = (await verified) as [VerifiedEvent];
    clearInterval(spin);
    assert.ok(ticks > 0, 'the event loop ran while the challenge was being solved');
    assert.equal(v.flushed, 10);
    assert.ok(v.solveMs > 0 && v.tries > 0);
    assert.ok(progress.length > 0 && progress.at(-1)!.fraction === 1);
    await until(() => echoes.length === 10, 'ten echoes');
    assert.deepEqual(responder.received.map((b) => b.toString()), Array.from({ length: 10 }, (_, i) => `packet ${i}`));
    assert.deepEqual(echoes, Array.from({ length: 10 }, (_, i) => `echo:packet ${i}`));
    // Verified now: packets go straight through.
    s.send('after');
    await until(() => echoes.length === 11, 'the eleventh echo');
    assert.equal(echoes[10], 'echo:after');
    assert.equal(responder.stats.verified, 1);
    assert.deepEqual(responder.stats.rejected, {});
    for (const [trigger, sent] of responder.stats.sizes) assert.ok(sent <= trigger, `challenge ${sent} > trigger ${trigger}`);
  } finally {
    await s.close();
    await responder.close();
  }
});

test('sdk socket - a challenge is never larger than its trigger: small packets get none', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 4, subPuzzles: 1 } });
  const { port } = responder.address();
  const raw = createSocket('udp4');
  try {
    raw.send(Buffer.alloc(CHALLENGE_SIZE - 1), port, '127.0.0.1');
    raw.send(Buffer.alloc(CHALLENGE_SIZE), port, '127.0.0.1');
    await until(() => responder.stats.challenges === 1 && (responder.stats.refused.trigger_too_small ?? 0) === 1, 'both packets handled');
    assert.deepEqual(responder.stats.sizes, [[CHALLENGE_SIZE, CHALLENGE_SIZE]]);
  } finally {
    raw.close();
    await responder.close();
  }
});

test('sdk socket - without a hello, the first game packet triggers the challenge; it and the packets after it are delivered after the answer', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 6, subPuzzles: 2 } });
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port: responder.address().port, hello: false, solver: 'inline' });
  try {
    const verified = once(s, 'verified');
    s.send(Buffer.alloc(100, 1)); // large enough to be challenged; the edge drops it
    await once(s, 'challenge');
    s.send('queued');
    await verified;
    await until(() => responder.received.length === 2, 'the trigger, sent again, and the queued packet');
    assert.deepEqual(responder.received, [Buffer.alloc(100, 1), Buffer.from('queued')]);
  } finally {
    await s.close();
    await responder.close();
  }
});

test('sdk socket - holdAfterHello keeps packets sent right after connect until the challenge is solved', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 6, subPuzzles: 2 } });
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port: responder.address().port, holdAfterHelloMs: 5000 });
  try {
    const verified = once(s, 'verified');
    s.send('one');
    s.send('two');
    const [v] = (await verified) as [VerifiedEvent];
    assert.equal(v.flushed, 2);
    await until(() => responder.received.length === 2, 'both packets');
    assert.deepEqual(responder.received.map(String), ['one', 'two']);
  } finally {
    await s.close();
    await responder.close();
  }
});

/** A UDP relay between one client and a server that delays what the server sends back. */
async function slowReturnPath(serverPort: number, delayMs: number): Promise<{ port: number; close(): void }> {
  const relay = createSocket('udp4');
  let client: { port: number; address: string } | null = null;
  const pending = new Set<NodeJS.Timeout>();
  relay.on('message', (msg, rinfo) => {
    if (rinfo.port === serverPort) {
      const to = client;
      if (!to) return;
      const timer = setTimeout(() => { pending.delete(timer); relay.send(msg, to.port, to.address); }, delayMs);
      pending.add(timer);
    } else {
      client = { port: rinfo.port, address: rinfo.address };
      relay.send(msg, serverPort, '127.0.0.1');
    }
  });
  await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', () => resolve()));
  return { port: relay.address().port, close: () => { for (const t of pending) clearTimeout(t); relay.close(); } };
}

test('sdk socket - a challenge slower than holdAfterHello: the packets the edge dropped go again after the answer, once', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 6, subPuzzles: 2 } });
  const relay = await slowReturnPath(responder.address().port, 300);
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port: relay.port, holdAfterHelloMs: 20 });
  try {
    const verified = once(s, 'verified');
    s.send('one');
    s.send('two');
    // The hold ends before the challenge is back: both go out, and the responder drops them.
    await until(() => s.queued === 0, 'the hold to end');
    await verified;
    await until(() => responder.received.length === 2, 'both packets, sent again after the answer');
    s.send('three');
    await until(() => responder.received.length === 3, 'the third packet');
    // Late duplicate challenges (one per packet of the burst) are not solved again: no packet twice.
    assert.deepEqual(responder.received.map(String), ['one', 'two', 'three']);
    assert.equal(s.counters.solved, 1);
  } finally {
    await s.close();
    relay.close();
    await responder.close();
  }
});

test('sdk socket - a forged challenge dated far in the future costs one solve, not the connection', { timeout: testTimeout(60_000) }, async () => {
  // An attacker who can spoof the server's address sends one well-formed challenge (its tag is
  // garbage) dated 2106. The genuine challenges after it are dated now: they must still be solved.
  const { writeChallengeHead, endpoint } = await import('@flowshield/proto');
  const responder = await DevResponder.start({ difficulty: { bits: 8, subPuzzles: 2 } });
  const relay = createSocket('udp4');
  let client: { port: number; address: string } | null = null;
  relay.on('message', (msg, rinfo) => {
    if (rinfo.port === responder.address().port) { if (client) relay.send(msg, client.port, client.address); return; }
    if (client === null) {
      client = { port: rinfo.port, address: rinfo.address };
      const forged = new Uint8Array(CHALLENGE_SIZE);
      writeChallengeHead(forged, { keyId: 1, issuedAt: 0xffffffff, difficulty: 4, subPuzzles: 1, nonce: new Uint8Array(8).fill(9), client: endpoint(rinfo.address, rinfo.port) });
      relay.send(forged, rinfo.port, rinfo.address);
    }
    relay.send(msg, responder.address().port, '127.0.0.1');
  });
  await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', () => resolve()));
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port: relay.address().port, holdAfterHelloMs: 0 });
  const echoes: string[] = [];
  s.on('message', (b) => echoes.push(b.toString()));
  try {
    await until(() => s.counters.solved >= 1, 'the forged challenge solved', 3_000);
    // The edge refused that answer; the game keeps sending (packets no smaller than a challenge,
    // so the responder may answer them with one), and the responder challenges again.
    for (let i = 0; i < 300 && s.counters.solved < 2; i++) { s.send(Buffer.from(`ping ${i}`.padEnd(CHALLENGE_SIZE, '.'))); await new Promise((r) => setTimeout(r, 20)); }
    assert.ok(s.counters.solved >= 2, `a genuine challenge after the forged one was solved (counters ${JSON.stringify(s.counters)})`);
    s.send(Buffer.from('after'));
    await until(() => echoes.some((e) => e.endsWith('after')), 'an echo after the genuine answer', 3_000);
  } finally {
    await s.close();
    relay.close();
    await responder.close();
  }
});

test('sdk socket - a challenge asking more than maxWorkBits is refused, not solved', { timeout: testTimeout(30_000) }, async () => {
  const responder = await DevResponder.start({ difficulty: { bits: 20, subPuzzles: 8 } });
  const s = await FlowshieldSocket.connect({ host: '127.0.0.1', port: responder.address().port, maxWorkBits: 16 });
  try {
    const [err] = await once(s, 'error');
    assert.equal((err as { code?: string }).code, 'FS_ERR_CLIENT_CHALLENGE_TOO_HARD');
    assert.equal(s.solving, false);
    assert.deepEqual(s.counters, { challenges: 0, ignoredChallenges: 1, solved: 0 });
  } finally {
    await s.close();
    await responder.close();
  }
});

test('sdk socket - a verified token as first packet lets the client in without a puzzle', { timeout: testTimeout(30_000) }, async () => {
  const { ed25519 } = await import('@noble/curves/ed25519.js');
  const { assembleToken, encodeTokenClaims, endpoint } = await import('@flowshield/proto');
  const seed = new Uint8Array(32).fill(5);
  const responder = await DevResponder.start({ difficulty: { bits: 6, subPuzzles: 2 }, publicKeys: [{ signingKeyId: 7, notAfter: 0, publicKey: ed25519.getPublicKey(seed) }] });
  const now = Math.floor(Date.now() / 1000);
  const sign = (address: string) => {
    const claims = encodeTokenClaims({ signingKeyId: 7, issuedAt: now, expiresAt: now + 60, client: endpoint(address, 0), target: endpoint('::', 0) });
    return assembleToken(claims, ed25519.sign(claims, seed));
  };
  const good = await FlowshieldSocket.connect({ host: '127.0.0.1', port: responder.address().port, token: sign('127.0.0.1') });
  const echoes: string[] = [];
  good.on('message', (b) => echoes.push(b.toString()));
  let challenged = false;
  good.on('challenge', () => { challenged = true; });
  const wrong = await FlowshieldSocket.connect({ host: '127.0.0.1', port: responder.address().port, token: sign('127.0.0.2') });
  const wrongChallenged = once(wrong, 'challenge');
  try {
    await until(() => responder.stats.tokens === 1, 'the token');
    good.send('hi');
    await until(() => echoes.length === 1, 'the echo');
    assert.equal(echoes[0], 'echo:hi');
    assert.equal(challenged, false);
    await wrongChallenged; // a token for another address does not count: challenged instead
    assert.equal(responder.stats.rejected.token_wrong_address, 1);
  } finally {
    await good.close();
    await wrong.close();
    await responder.close();
  }
});
