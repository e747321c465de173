import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { pino, type Logger } from 'pino';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import {
  CHALLENGE_DIFFICULTY_BUCKET, ChallengeSubject, loadSubject, TENANT_KEY_BUCKET, encodeAnswer, encodeTenantKeyRecord, tenantKeyKvKey, type TenantKeyReply, encodeApiMessage, endpointFromText, fromBase64, serviceKey,
  toBase64, type DifficultyRecord, type IssueReply, type LoadReport, type KeysListReply, type KeysRotateReply, type TokenReply, type VerifyReply,
} from '@flowshield/proto';
import { KeyRing, PuzzleEngine, solveChallenge } from '@flowshield/puzzle';
import { EpochKeyFollower, TenantKeyFollower } from '@flowshield/challenge-keys';
import { ask } from './fixtures/nats-client.js';
import { deriveEpochKey, deriveTenantKey } from './key-derivation.js';
import { ChallengeService } from './service.js';

const MASTER = Uint8Array.from(Buffer.from('7f'.repeat(32), 'hex'));
const client = { address: '198.51.100.7', port: 40000 };
const target = { address: '203.0.113.5', port: 207 };

function capturedLogger(): { logger: Logger; text: () => string } {
  let out = '';
  const stream = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } });
  return { logger: pino({ level: 'debug' }, stream) as Logger, text: () => out };
}

async function issueAndAnswer(nc: Parameters<typeof ask>[0], over: { client?: typeof client } = {}): Promise<{ challenge: Uint8Array; answer: Uint8Array }> {
  const issued = await ask<IssueReply>(nc, ChallengeSubject.issue, { client: over.client ?? client, target, triggerSize: 1200 });
  assert.equal(issued.ok, true, JSON.stringify(issued));
  if (!issued.ok) throw new Error('unreachable');
  const challenge = fromBase64(issued.challenge);
  return { challenge, answer: encodeAnswer(challenge, solveChallenge(challenge)) };
}

test('challenge service - issue and verify over NATS, keys distributed to edges, rotation overlap, no secrets in logs', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  const log = capturedLogger();
  const service = await ChallengeService.start({ servers: nats.url, masterKey: MASTER, logger: log.logger, difficulty: { baseBits: 6, subPuzzles: 4 } });
  const nc = await connect({ servers: nats.url });
  try {
    // Round trip through the service's API.
    const { answer } = await issueAndAnswer(nc);
    const ok = await ask<VerifyReply>(nc, ChallengeSubject.verify, { client, target, answer: toBase64(answer) });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    const again = await ask<VerifyReply>(nc, ChallengeSubject.verify, { client, target, answer: toBase64(answer) });
    assert.deepEqual(again, { v: 1, ok: false, reason: 'replayed' });
    const bad = await ask<VerifyReply>(nc, ChallengeSubject.verify, { client: { ...client, port: 1 }, target, answer: toBase64((await issueAndAnswer(nc)).answer) });
    assert.deepEqual(bad, { v: 1, ok: false, reason: 'wrong_port' });

    // An edge's ring, fed only from the KV bucket, verifies what the service issued.
    const edgeRing = new KeyRing();
    const follower = await EpochKeyFollower.start(nc, edgeRing);
    const edge = new PuzzleEngine({ keyRing: edgeRing, clock: Date.now });
    const forEdge = await issueAndAnswer(nc);
    const edgeCtx = { client: endpointFromText(client), target: endpointFromText(target), floorBits: 6 };
    assert.equal(edge.verify(forEdge.answer, edgeCtx).ok, true);

    // Rotation: answers to challenges issued just before it still verify, on the service and the edge.
    const before1 = await issueAndAnswer(nc);
    const before2 = await issueAndAnswer(nc);
    const rotated = await ask<KeysRotateReply>(nc, ChallengeSubject.keysRotate, {});
    assert.equal(rotated.ok, true);
    if (!rotated.ok) return;
    const after = await issueAndAnswer(nc);
    assert.equal(new DataView(after.challenge.buffer).getUint32(5), rotated.current, 'new challenges use the new epoch');
    assert.equal((await ask<VerifyReply>(nc, ChallengeSubject.verify, { client, target, answer: toBase64(before1.answer) })).ok, true);
    for (let i = 0; i < 50 && !edgeRing.list().some((k) => k.keyId === rotated.current); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(edge.verify(before2.answer, edgeCtx).ok, true, 'edge: previous epoch still accepted');
    assert.equal(edge.verify(after.answer, edgeCtx).ok, true, 'edge: new epoch received over NATS');
    follower.stop();

    // keys list: ids and epochs only.
    const list = await ask<KeysListReply>(nc, ChallengeSubject.keysList, {});
    assert.deepEqual(list.epochs.map((e) => e.state).sort(), ['current', 'previous']);
    const listText = JSON.stringify(list);
    assert.doesNotMatch(listText, /[0-9a-f]{32}/i);
    assert.doesNotMatch(listText, /"key"/);

    // Bad requests are answered, counted and never crash the service.
    const garbage = await nc.request(ChallengeSubject.verify, new TextEncoder().encode('{"v":1,"client":7}'), { timeout: 5000 });
    assert.deepEqual(garbage.json(), { v: 1, ok: false, reason: 'bad_request' });
    const notJson = await nc.request(ChallengeSubject.issue, new TextEncoder().encode('\u0000\u0001'), { timeout: 5000 });
    assert.deepEqual(notJson.json(), { v: 1, ok: false, reason: 'bad_request' });
    assert.match(await service.metrics.registry.metrics(), /fs_challenge_bad_messages_total\{api="verify"\} 1/);

    // Keys never in logs: neither the master secret nor any epoch key.
    const logs = log.text();
    assert.ok(logs.includes('epoch key published'));
    const secrets = [MASTER, ...list.epochs.map((e) => deriveEpochKey(MASTER, e.id)), deriveEpochKey(MASTER, rotated.previous ?? 0)];
    for (const s of secrets) {
      assert.ok(!logs.includes(Buffer.from(s).toString('hex')), 'a key in hex in the logs');
      assert.ok(!logs.includes(Buffer.from(s).toString('base64')), 'a key in base64 in the logs');
    }
  } finally {
    await nc.close();
    await service.stop();
    await nats.dispose();
  }
});

test('challenge service - load reports raise the difficulty, published for edges', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  const service = await ChallengeService.start({ servers: nats.url, masterKey: MASTER, logger: pino({ level: 'silent' }), difficulty: { baseBits: 8, capacityPps: 100 } });
  const nc = await connect({ servers: nats.url });
  try {
    const report: LoadReport = { v: 1, edgeId: 'edge-1', target, windowMs: 1000, unverifiedPackets: 1600, failedAnswers: 0 };
    // Reports naming another edge than their subject, or on no edge's subject, count for nothing.
    for (const forged of [{ ...report, edgeId: 'edge-2', unverifiedPackets: 1e9 }, { ...report, unverifiedPackets: 1e9 }]) {
      nc.publish(forged.edgeId === 'edge-2' ? loadSubject('edge-1') : ChallengeSubject.load, encodeApiMessage(forged));
    }
    nc.publish(loadSubject('edge-1'), encodeApiMessage(report));
    nc.publish(loadSubject('edge-1'), new TextEncoder().encode('junk'));
    await nc.flush();
    let record: DifficultyRecord | null = null;
    const kv = await new Kvm(nc).create(CHALLENGE_DIFFICULTY_BUCKET);
    for (let i = 0; i < 100 && !record; i++) {
      const e = await kv.get(serviceKey(endpointFromText(target)));
      if (e?.operation === 'PUT') record = e.json<DifficultyRecord>();
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(record, 'difficulty record published');
    assert.equal(record!.bits, 12);
    assert.equal(record!.floorBits, 8);
    const viaApi = await ask<DifficultyRecord>(nc, ChallengeSubject.difficulty, { target });
    assert.equal(viaApi.bits, 12);
    const { challenge } = await issueAndAnswer(nc);
    assert.equal(challenge[13]! + Math.log2(challenge[14]!), 12, 'new challenges carry the raised difficulty');
    assert.match(await service.metrics.registry.metrics(), /fs_challenge_bad_messages_total\{api="load"\} 2/);
  } finally {
    await nc.close();
    await service.stop();
    await nats.dispose();
  }
});

test('challenge service - a token is verified by a separate process holding only public keys', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  const service = await ChallengeService.start({ servers: nats.url, masterKey: MASTER, logger: pino({ level: 'silent' }), difficulty: { baseBits: 4 } });
  const nc = await connect({ servers: nats.url });
  const child = spawn(process.execPath, [new URL('./fixtures/token-verifier-process.js', import.meta.url).pathname, nats.url, '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string) ?? 'null');
  const expiredChild = spawn(process.execPath, [new URL('./fixtures/token-verifier-process.js', import.meta.url).pathname, nats.url, '3600'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const expiredLines = createInterface({ input: expiredChild.stdout! })[Symbol.asyncIterator]();
  try {
    assert.deepEqual(await next(), { ready: true, signingKeyIds: [1] });
    assert.equal(JSON.parse((await expiredLines.next()).value as string).ready, true);
    // A token from a verified answer (the normal path) and one from a matchmaker's pre-authorisation.
    const { answer } = await issueAndAnswer(nc);
    const verified = await ask<VerifyReply>(nc, ChallengeSubject.verify, { client, target, answer: toBase64(answer) });
    assert.ok(verified.ok);
    if (!verified.ok) return;
    const pre = await ask<TokenReply>(nc, ChallengeSubject.token, { client: { address: '2001:db8::9', port: 0 }, ttlSeconds: 60 });
    assert.ok(pre.ok);
    if (!pre.ok) return;
    const check = async (token: string, c: object, t: object) => { child.stdin!.write(`${JSON.stringify({ token, client: c, target: t })}\n`); return next(); };
    assert.deepEqual(await check(verified.token, client, target), { ok: true });
    assert.deepEqual(await check(verified.token, { ...client, port: 1234 }, target), { ok: true }, 'bound to the address, any port');
    assert.deepEqual(await check(verified.token, { address: '198.51.100.8', port: 40000 }, target), { ok: false, reason: 'wrong_address' });
    assert.deepEqual(await check(verified.token, client, { ...target, port: 208 }), { ok: false, reason: 'wrong_target' });
    assert.deepEqual(await check(pre.token, { address: '2001:db8::9', port: 5 }, target), { ok: true });
    const forged = fromBase64(verified.token);
    forged[100]! ^= 1;
    assert.deepEqual(await check(toBase64(forged), client, target), { ok: false, reason: 'bad_signature' });
    // The second verifier's clock runs an hour ahead: both tokens have expired there.
    expiredChild.stdin!.write(`${JSON.stringify({ token: verified.token, client, target })}\n`);
    assert.deepEqual(JSON.parse((await expiredLines.next()).value as string), { ok: false, reason: 'expired' });
    const bad = await ask<TokenReply>(nc, ChallengeSubject.token, { client, ttlSeconds: 10 ** 9 });
    assert.deepEqual(bad, { v: 1, ok: false, reason: 'bad_request' });
  } finally {
    child.kill();
    expiredChild.kill();
    await nc.close();
    await service.stop();
    await nats.dispose();
  }
});

test('challenge service - per-tenant HMAC keys: written on request, the same for every edge and across restarts, different per tenant', { timeout: testTimeout(45_000) }, async () => {
  const nats = await NatsTestServer.start();
  let service = await ChallengeService.start({ servers: nats.url, masterKey: MASTER, logger: pino({ level: 'silent' }) });
  const nc = await connect({ servers: nats.url });
  const keysOf = async (tenants: string[]) => {
    const got = new Map<string, string | null>();
    const follower = await TenantKeyFollower.start(nc, { tenants, onKey: (t, k) => got.set(t, k && Buffer.from(k).toString('hex')), retryMs: 100 });
    while (tenants.some((t) => !got.get(t))) await new Promise((r) => setTimeout(r, 20));
    follower.stop();
    return got;
  };
  try {
    const edgeA = await keysOf(['alpha', 'beta']);
    const edgeB = await keysOf(['alpha']);
    assert.equal(edgeA.get('alpha'), edgeB.get('alpha'), 'two edges hold the same key');
    assert.equal(edgeA.get('alpha'), Buffer.from(deriveTenantKey(MASTER, 'alpha', 1)).toString('hex'));
    assert.notEqual(edgeA.get('alpha'), edgeA.get('beta'), 'tenants differ');
    const refused = await ask<TenantKeyReply>(nc, ChallengeSubject.tenantKey, { tenant: 'no spaces' });
    assert.deepEqual(refused, { v: 1, ok: false, reason: 'bad_request' });
    // A record written under another master is replaced on start: every edge and every restart agree.
    const kv = await new Kvm(nc).open(TENANT_KEY_BUCKET);
    await kv.put(tenantKeyKvKey('alpha'), encodeTenantKeyRecord({ tenant: 'alpha', keyVersion: 1, key: new Uint8Array(32).fill(1) }));
    await service.stop();
    service = await ChallengeService.start({ servers: nats.url, masterKey: MASTER, logger: pino({ level: 'silent' }) });
    assert.equal((await keysOf(['alpha'])).get('alpha'), edgeA.get('alpha'), 'the same key after a restart');
  } finally {
    await nc.close();
    await service.stop();
    await nats.dispose();
  }
});
