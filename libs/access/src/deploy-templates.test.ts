import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { deployTemplates, TEMPLATE_USERS } from './deploy-templates.js';

const ROOT = new URL('../../../', import.meta.url);

function natsServer(): string {
  for (const c of [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server']) if (c && existsSync(c)) return c;
  return 'nats-server';
}

test('deploy templates - every shipped nats-server config is what libs/access renders (regenerate: node deploy/scripts/render-nats-configs.mjs)', () => {
  const templates = deployTemplates();
  assert.ok(templates.length >= 12, 'single node, a 3-node cluster, a supercluster of two 3-node regions with a site each');
  for (const { path, text } of templates) assert.equal(readFileSync(new URL(path, ROOT), 'utf8'), text, `${path} drifted from the renderer`);
});

test('deploy templates - nats-server 2.9 accepts every shipped config once its placeholders are filled in (nats-server -t)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-deploy-'));
  try {
    // -t checks what the server would load: real public nkeys and a readable certificate.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=nats',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const keys = new Map(TEMPLATE_USERS.map((u) => [u.publicKey, createUser().getPublicKey()]));
    for (const { path, text } of deployTemplates()) {
      let filled = text.replaceAll('/etc/nats/tls/server.pem', join(dir, 'cert.pem')).replaceAll('/etc/nats/tls/server-key.pem', join(dir, 'key.pem'));
      for (const [placeholder, key] of keys) filled = filled.replaceAll(placeholder, key);
      const file = join(dir, 'server.conf');
      writeFileSync(file, filled);
      const run = spawnSync(natsServer(), ['-t', '-c', file], { encoding: 'utf8' });
      assert.equal(run.status, 0, `${path}: ${run.stderr}${run.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('deploy monitoring - the alert rules and the dashboard name only metrics the services export', () => {
  const exported = ['edge', 'state', 'challenge'].map((s) => readFileSync(new URL(`services/${s}/src/metrics.ts`, ROOT), 'utf8')).join('\n');
  for (const file of ['deploy/prometheus/flowshield-alerts.yml', 'deploy/grafana/flowshield.json']) {
    const names = new Set(readFileSync(new URL(file, ROOT), 'utf8').match(/\bfs_[a-z_]+/g) ?? []);
    assert.ok(names.size >= 8, `${file} names metrics`);
    for (const name of names) assert.ok(exported.includes(`'${name.replace(/_bucket$/, '')}'`), `${file}: ${name} is not a metric of services/*/src/metrics.ts`);
  }
});
