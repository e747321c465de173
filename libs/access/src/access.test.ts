import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHALLENGE_EPOCH_BUCKET, TENANT_KEY_BUCKET } from '@flowshield/proto';
import {
  AccessError, CHALLENGE_REPLY_SUBJECTS, ROLES, accessConnectOptions, credentialsKind, ensureCredentialSet, inboxPrefix, permissionsFor, renderServerConfig,
  writeAccessFiles, type Principal,
} from './index.js';

const edgeA: Principal = { role: 'edge', edgeId: 'edge-a' };
const all = (p: Principal) => { const x = permissionsFor(p); return [...x.publish, ...x.subscribe]; };

test('access permissions - an edge publishes its own events subject, load reports and read-only JetStream calls, nothing else', () => {
  const p = permissionsFor(edgeA);
  assert.ok(p.publish.includes('fs.events.edge-a'));
  assert.ok(!p.publish.some((s) => s.startsWith('fs.events.') && s !== 'fs.events.edge-a'));
  assert.ok(!p.publish.some((s) => s.startsWith('$KV.') || s.startsWith('$O.')), 'no bucket writes');
  assert.ok(!p.publish.some((s) => /\.(CREATE|UPDATE|DELETE|PURGE)\.KV_|STREAM\.(CREATE|UPDATE|DELETE|PURGE)|\$JS\.ACK/.test(s) && !s.startsWith('$JS.API.CONSUMER.CREATE.')));
  assert.deepEqual(p.subscribe, ['_INBOX.edge.edge-a.>']);
  const broad = all(edgeA).filter((s) => s !== '_INBOX.edge.edge-a.>' && (s === '>' || (s.endsWith('.>') && s.split('.').length < 4)));
  assert.deepEqual(broad, [], 'no broad wildcard');
});

test('access permissions - secrets: only edges and the challenge service reach the epoch and tenant key buckets', () => {
  for (const role of ROLES) {
    const principal: Principal = role === 'edge' ? edgeA : { role };
    const reaches = all(principal).some((s) => s.includes(`KV_${CHALLENGE_EPOCH_BUCKET}`) || s.includes(`KV_${TENANT_KEY_BUCKET}`));
    assert.equal(reaches, role === 'edge' || role === 'challenge', role);
  }
  assert.ok(permissionsFor({ role: 'operator' }).publish.includes('$KV.fs-programs.>'), 'the operator deploys');
  for (const role of ['state', 'challenge', 'edge'] as const) {
    assert.ok(!permissionsFor(role === 'edge' ? edgeA : { role }).publish.includes('$KV.fs-programs.>'), `${role} deploys nothing`);
  }
  // the firewall: only the operator writes rules versions and lists; edges read them
  const operator = permissionsFor({ role: 'operator' }).publish;
  assert.ok(operator.includes('$KV.fs-rules.>') && operator.includes('$O.fs-lists.>'));
  const edge = permissionsFor(edgeA).publish;
  assert.ok(edge.includes('$JS.API.STREAM.INFO.KV_fs-rules') && edge.includes('$JS.API.STREAM.INFO.OBJ_fs-lists'), 'edges read rules and lists');
  for (const role of ['state', 'challenge', 'edge'] as const) {
    const p = permissionsFor(role === 'edge' ? edgeA : { role }).publish;
    assert.ok(!p.some((s) => s.startsWith('$KV.fs-rules') || s.startsWith('$O.fs-lists') || s.includes('PURGE.OBJ_fs-lists')), `${role} writes no rules or lists`);
  }
});

test('access permissions - the challenge service replies only into its callers\' inboxes (no allow_responses)', () => {
  const p = permissionsFor({ role: 'challenge' });
  for (const subject of CHALLENGE_REPLY_SUBJECTS) assert.ok(p.publish.includes(subject), subject);
  assert.ok(!p.publish.some((s) => s === '>' || s.startsWith('$JS.API.>') || s.startsWith('fs.') || s.includes('PURGE') || s.includes('DELETE')), p.publish.join(' '));
  const config = renderServerConfig({ host: '127.0.0.1', port: 4222, storeDir: '/tmp/x', users: [{ role: 'challenge', publicKey: 'UABC' }] });
  assert.doesNotMatch(config, /allow_responses/);
});

test('access inboxes - one prefix per role and per edge; a bad edge id is refused', () => {
  assert.equal(inboxPrefix({ role: 'operator' }), '_INBOX.operator');
  assert.equal(inboxPrefix(edgeA), '_INBOX.edge.edge-a');
  assert.throws(() => inboxPrefix({ role: 'edge' }), AccessError);
  assert.throws(() => permissionsFor({ role: 'edge', edgeId: 'a.b' }), AccessError);
});

test('access files - seeds are mode 0600 and kept across runs; the config names every user and has no no_auth_user', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-access-unit-'));
  try {
    const first = writeAccessFiles(dir, { host: '127.0.0.1', port: 4222, storeDir: join(dir, 'js'), edgeIds: ['edge-a'] });
    const again = ensureCredentialSet(dir, ['edge-a']);
    assert.equal(again.operator.publicKey, first.credentials.operator.publicKey);
    const conf = readFileSync(first.serverConfig, 'utf8');
    for (const u of [first.credentials.operator, first.credentials.state, first.credentials.challenge, first.credentials.edges['edge-a']!]) {
      assert.equal(statSync(u.file).mode & 0o777, 0o600);
      assert.ok(conf.includes(`nkey: "${u.publicKey}"`));
      assert.ok(!conf.includes(readFileSync(u.file, 'utf8').trim()), 'no seed in the server config');
    }
    assert.equal(statSync(first.serverConfig).mode & 0o777, 0o600);
    assert.ok(!/no_auth_user/.test(conf));
    assert.equal(credentialsKind(first.credentials.state.file), 'nkey');
    const creds = join(dir, 'user.creds');
    writeFileSync(creds, '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n');
    assert.equal(credentialsKind(creds), 'creds');
    writeFileSync(join(dir, 'junk'), 'password');
    assert.throws(() => credentialsKind(join(dir, 'junk')), (e: unknown) => e instanceof AccessError && e.code === 'FS_ERR_ACCESS_BAD_CREDENTIALS');
    assert.throws(() => accessConnectOptions({ role: 'state', creds: join(dir, 'missing') }), (e: unknown) => e instanceof AccessError && e.code === 'FS_ERR_ACCESS_CREDENTIALS_UNREADABLE');
    const options = accessConnectOptions({ role: 'state', creds: first.credentials.state.file, tlsCa: '/ca.pem' });
    assert.equal(options.inboxPrefix, '_INBOX.state');
    assert.deepEqual(options.tls, { caFile: '/ca.pem' });
    assert.equal(typeof options.authenticator, 'function');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
