import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessConnectOptions, ensureUserCredential, type Role } from '@flowshield/access';
import { EventPublisher, ensureEventStreams } from '@flowshield/events';
import { CHALLENGE_EPOCH_BUCKET, CHALLENGE_PUBKEY_BUCKET, ChallengeSubject, EVENTS_STREAM, PROGRAMS_BUCKET, Status, encodeApiMessage, ipToBytes16 } from '@flowshield/proto';
import { KeyRing } from '@flowshield/puzzle';
import { EpochKeyFollower } from '@flowshield/challenge-keys';
import { ChallengeService } from '@flowshield/challenge';
import { StateService, parseStateConfig } from '@flowshield/state';
import { NatsTestServer, testTimeout } from '@flowshield/test-support';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { pino } from 'pino';
import { ROOT, until } from './stack.js';

/*
 * The attacks of issue 11 against a nats-server running the generated production config: each
 * must fail for the attacker, and each role must still be able to do its own job.
 */

const TIMEOUT = 5_000;
const bytes = (text: string) => new TextEncoder().encode(text);
let server: NatsTestServer;
let dir: string;
const conns: NatsConnection[] = [];

async function as(role: Role, edgeId?: string): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, ...accessConnectOptions({ role, edgeId, creds: server.creds(role, edgeId) }) });
  conns.push(nc);
  return nc;
}
const kvOf = (nc: NatsConnection) => new Kvm(jetstream(nc, { timeout: TIMEOUT }));
/** `flowshield ARGS` without blocking this process (the challenge service under test runs in it). */
function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'cli/bin/flowshield.js'), ...args], { env, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ status: err ? Number((err as { code?: unknown }).code ?? 1) || 1 : 0, stdout, stderr });
    });
  });
}

/** The server refused it (a permissions violation), not merely "not there" or slow. */
const refused = (what: Promise<unknown>) => assert.rejects(what, /permissions violation/i);

before(async () => {
  server = await NatsTestServer.start({ auth: { edgeIds: ['edge-a', 'edge-b'] } });
  dir = mkdtempSync(join(tmpdir(), 'flowshield-access-'));
  // Each owner makes its things: the state service its streams, the operator the programs bucket.
  await ensureEventStreams(await as('state'));
  const programs = await kvOf(await as('operator')).create(PROGRAMS_BUCKET, { history: 64 });
  await programs.put('tenant.arena', bytes('operator record'));
});

after(async () => {
  for (const nc of conns) await nc.close().catch(() => undefined);
  await server.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('access - no connection without credentials, nor with a key the server does not list', { timeout: testTimeout(90_000) }, async () => {
  await assert.rejects(connect({ servers: server.url, timeout: TIMEOUT, maxReconnectAttempts: 0 }), /authorization/i);
  const stranger = ensureUserCredential(dir, { role: 'operator' });
  await assert.rejects(
    connect({ servers: server.url, timeout: TIMEOUT, maxReconnectAttempts: 0, ...accessConnectOptions({ role: 'operator', creds: stranger.file }) }),
    /authorization/i,
  );
});

test('access - edge credentials write no bucket: a pass-all program in fs-programs and an epoch key are refused', { timeout: testTimeout(90_000) }, async () => {
  const challenge = await ChallengeService.start({ servers: server.url, creds: server.creds('challenge'), masterKey: new Uint8Array(32).fill(7), logger: pino({ level: 'silent' }) });
  try {
    const edge = await as('edge', 'edge-a');
    const programs = await kvOf(edge).open(PROGRAMS_BUCKET);
    await refused(programs.put('tenant.arena', bytes('pass-all')));
    await refused(programs.put('tenant.evil', bytes('pass-all')));
    const epochs = await kvOf(edge).open(CHALLENGE_EPOCH_BUCKET);
    const before = await epochs.get('epoch.999999');
    await refused(epochs.put('epoch.999999', bytes('attacker key')));
    await refused(kvOf(edge).create('fs-evil'));
    const jsm = await jetstreamManager(edge, { timeout: TIMEOUT });
    await refused(jsm.streams.purge(EVENTS_STREAM));
    await refused(jsm.streams.delete(kvStreamOf(PROGRAMS_BUCKET)));
    // Nothing changed, as the owners see it.
    const operatorView = await kvOf(await as('operator')).open(PROGRAMS_BUCKET);
    assert.equal((await operatorView.get('tenant.arena'))?.string(), 'operator record');
    assert.equal(await operatorView.get('tenant.evil'), null);
    assert.equal(before, null);
    assert.equal(await (await kvOf(await as('challenge')).open(CHALLENGE_EPOCH_BUCKET)).get('epoch.999999'), null);
  } finally {
    await challenge.stop();
  }
});

const kvStreamOf = (bucket: string) => `KV_${bucket}`;

test('access - an edge publishes only on its own events subject: a batch as another edge never lands in FS_EVENTS', { timeout: testTimeout(90_000) }, async () => {
  const edge = await as('edge', 'edge-a');
  const js = jetstream(edge, { timeout: TIMEOUT });
  await refused(js.publish('fs.events.edge-b', bytes('forged batch')));
  await refused(js.publish('fs.events.evil', bytes('forged batch')));
  edge.publish('fs.events.edge-b', bytes('forged, core publish'));
  await refused(js.publish('fs.deadletter.events', bytes('forged')));
  const own = await js.publish('fs.events.edge-a', bytes('own batch'));
  assert.equal(own.stream, EVENTS_STREAM);
  await edge.flush();
  const jsm = await jetstreamManager(await as('state'));
  const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: '>' });
  assert.deepEqual(info.state.subjects, { 'fs.events.edge-a': 1 }, 'only the edge\'s own subject holds messages');
});

test('access - a request whose reply subject is a JetStream API call or another edge\'s events makes the challenge service publish nothing there', { timeout: testTimeout(90_000) }, async () => {
  const challenge = await ChallengeService.start({ servers: server.url, creds: server.creds('challenge'), masterKey: new Uint8Array(32).fill(5), logger: pino({ level: 'silent' }) });
  try {
    const state = await as('state');
    const edgeB = await as('edge', 'edge-b');
    await jetstream(edgeB, { timeout: TIMEOUT }).publish('fs.events.edge-b', bytes('edge-b batch'));
    const jsm = await jetstreamManager(state);
    const before = (await jsm.streams.info(EVENTS_STREAM)).state.messages;
    assert.ok(before > 0);
    const edge = await as('edge', 'edge-a');
    const request = encodeApiMessage({ v: 1, tenant: 'arena' } as { v: number });
    for (const reply of [`$JS.API.STREAM.PURGE.${EVENTS_STREAM}`, `$JS.API.STREAM.DELETE.${EVENTS_STREAM}`, 'fs.events.edge-b', '$KV.fs-programs.tenant.arena']) {
      edge.publish(ChallengeSubject.tenantKey, request, { reply });
    }
    await edge.flush();
    // The service's own requests still work (an inbox reply) ...
    const answer = await edge.request(ChallengeSubject.tenantKey, request, { timeout: TIMEOUT });
    assert.ok(answer.data.length > 0);
    // ... and nothing was purged, deleted or written under another name.
    const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: '>' });
    assert.equal(info.state.messages, before);
    assert.equal(info.state.subjects?.['fs.events.edge-b'], 1);
    assert.equal((await (await kvOf(await as('operator')).open(PROGRAMS_BUCKET)).get('tenant.arena'))?.string(), 'operator record');
  } finally {
    await challenge.stop();
  }
});

test('access - no role reads another\'s replies: inboxes are per role and per edge', { timeout: testTimeout(90_000) }, async () => {
  const edge = await as('edge', 'edge-a');
  for (const inbox of ['_INBOX.>', '_INBOX.state.>', '_INBOX.operator.>', '_INBOX.edge.edge-b.>', '_INBOX.edge.*.>', 'fs.challenge.>', 'fs.events.>', '>']) {
    // A subscription the server allows reports nothing: give up waiting for the refusal after a while.
    const denied = await new Promise<Error | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), 3_000);
      edge.subscribe(inbox, { callback: (err) => { if (err) { clearTimeout(timer); resolve(err); } } });
    });
    assert.match(denied?.message ?? 'allowed', /permissions violation/i, inbox);
  }
  // And a reply really goes to its asker only: the operator's JetStream call works while edge-a listens nowhere.
  const operator = await as('operator');
  assert.ok((await (await jetstreamManager(operator)).streams.info(EVENTS_STREAM)).config);
});

test('access - operator credentials read no secret bucket, but read public keys and programs', { timeout: testTimeout(90_000) }, async () => {
  const challenge = await ChallengeService.start({ servers: server.url, creds: server.creds('challenge'), masterKey: new Uint8Array(32).fill(9), logger: pino({ level: 'silent' }) });
  try {
    const operator = await as('operator');
    const epochs = await kvOf(operator).open(CHALLENGE_EPOCH_BUCKET);
    await refused(epochs.get('epoch.1'));
    await refused((async () => { for await (const k of await epochs.keys()) return k; })());
    await refused((async () => { for await (const e of await epochs.watch()) return e; })());
    await refused(kvOf(operator).open('fs-tenant-keys').then((kv) => kv.get('tenant.arena')));
    const pubkeys = await kvOf(operator).open(CHALLENGE_PUBKEY_BUCKET);
    const keys: string[] = [];
    for await (const k of await pubkeys.keys()) keys.push(k);
    assert.ok(keys.length > 0, 'the token public keys are readable');
  } finally {
    await challenge.stop();
  }
});

test('access - state and challenge credentials cannot deploy a program', { timeout: testTimeout(90_000) }, async () => {
  for (const role of ['state', 'challenge'] as const) {
    const programs = await kvOf(await as(role)).open(PROGRAMS_BUCKET);
    await refused(programs.put('tenant.arena', bytes(`pass-all from ${role}`)));
  }
  const check = await kvOf(await as('operator')).open(PROGRAMS_BUCKET);
  assert.equal((await check.get('tenant.arena'))?.string(), 'operator record');
});

test('access - each role does its job: edge follows programs and keys and publishes, state consumes, challenge writes keys, the CLI finds the stack', { timeout: testTimeout(90_000) }, async () => {
  const db = join(dir, 'replica');
  const config = parseStateConfig(['--server', server.url, '--creds', server.creds('state'), '--db', db, '--metrics-port=-1', '--no-bootstrap'], {});
  assert.ok(config !== 'help');
  const state = new StateService(config, pino({ level: 'silent' }));
  await state.start();
  const challenge = await ChallengeService.start({ servers: server.url, creds: server.creds('challenge'), masterKey: new Uint8Array(32).fill(3), logger: pino({ level: 'silent' }) });
  const edge = await as('edge', 'edge-b');
  const publisher = new EventPublisher({
    servers: server.url, edgeId: 'edge-b', connectOptions: accessConnectOptions({ role: 'edge', edgeId: 'edge-b', creds: server.creds('edge', 'edge-b') }),
  });
  try {
    // edge: a deployment, then the challenge service's keys
    const programs = await kvOf(edge).open(PROGRAMS_BUCKET);
    for await (const entry of await programs.watch({ key: 'tenant.>' })) {
      assert.equal(entry.string(), 'operator record');
      break;
    }
    const ring = new KeyRing();
    const follower = await EpochKeyFollower.start(edge, ring);
    await until(() => ring.size > 0, 15_000, 'epoch keys at the edge');
    follower.stop();
    // edge → state: an event through the stream into the replica
    publisher.publish({ tenant: 'arena', ip: ipToBytes16('198.51.100.7'), prevStatus: Status.NONE, status: Status.VERIFIED, expiry: 0, reason: 1, programVersion: 1 });
    await until(() => publisher.stats.published === 1, 15_000, 'the event acknowledged');
    await until(async () => ((await state.metrics.eventsApplied.get()).values[0]?.value ?? 0) >= 1, 15_000, 'the event merged');
    // operator CLI: server and credentials from stack.json alone
    const dataDir = join(dir, 'data');
    const operator = server.creds('operator');
    const stackJson = { nats: server.url, edges: [], replicas: [{ region: 'local', db }], credentials: { operator, edge: null, state: null, challenge: null } };
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'stack.json'), JSON.stringify(stackJson));
    const env = { ...process.env, NATS_URL: '', NATS_CREDS: '', FLOWSHIELD_DATA_DIR: dataDir };
    const listed = await cli(['programs', '--json'], env);
    assert.equal(listed.status, 0, listed.stderr);
    // The hand-written record is reported as not a deployment: the CLI did read the bucket.
    assert.deepEqual(JSON.parse(listed.stdout).skipped.map((r: { key: string }) => r.key), ['tenant.arena']);
    const asEdge = await cli(['keys', 'rotate', '--creds', server.creds('edge', 'edge-a')], env);
    assert.notEqual(asEdge.status, 0, 'edge credentials may not rotate keys');
    const rotated = await cli(['keys', 'rotate', '--json'], env);
    assert.equal(rotated.status, 0, rotated.stderr);
  } finally {
    await publisher.close();
    await challenge.stop();
    await state.stop();
  }
});

/** A CA and a server certificate for 127.0.0.1, made with openssl (null when it is not installed). */
function makeCertificates(folder: string): { ca: string; cert: string; key: string } | null {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: folder, stdio: 'ignore' });
  try {
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=flowshield test CA', '-keyout', 'ca-key.pem', '-out', 'ca.pem']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server-key.pem', '-out', 'server.csr']);
    writeFileSync(join(folder, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem']);
  } catch {
    return null;
  }
  return { ca: join(folder, 'ca.pem'), cert: join(folder, 'server.pem'), key: join(folder, 'server-key.pem') };
}

test('access tls - with a tls {} block, a client that verifies the server with --tls-ca connects; one that cannot verify it does not', { timeout: testTimeout(90_000) }, async (t) => {
  const folder = mkdtempSync(join(tmpdir(), 'flowshield-tls-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  const certs = makeCertificates(folder);
  if (!certs) {
    t.skip('openssl is not installed');
    return;
  }
  const tlsServer = await NatsTestServer.start({ auth: { tls: { cert: certs.cert, key: certs.key } } });
  t.after(() => tlsServer.dispose());
  const operator = accessConnectOptions({ role: 'operator', creds: tlsServer.creds('operator'), tlsCa: certs.ca });
  const nc = await connect({ servers: tlsServer.url, ...operator });
  assert.ok((await jetstreamManager(nc)).getOptions());
  await nc.close();
  const { tls: _tls, ...untrusting } = operator;
  await assert.rejects(connect({ servers: tlsServer.url, timeout: TIMEOUT, maxReconnectAttempts: 0, ...untrusting }));
  const env = { ...process.env, NATS_URL: tlsServer.url, NATS_CREDS: tlsServer.creds('operator'), FLOWSHIELD_DATA_DIR: '' };
  const listed = await cli(['programs', '--json', '--tls-ca', certs.ca], env);
  assert.equal(listed.status, 0, listed.stderr);
});
