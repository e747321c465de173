#!/usr/bin/env node
// The package's install script: builds native/udp_batch.c with node-gyp against the headers the
// installed Node ships (--nodedir = Node's installation prefix; headers are never downloaded).
// A failed build never fails `npm ci`: it leaves build/build-error.txt, the loader reports it as
// the reason the dgram twin runs, and the CI test (native-loaded.test.ts) fails on Linux.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { platform } from 'node:os';

const pkg = resolve(dirname(new URL(import.meta.url).pathname), '..');
const note = join(pkg, 'build', 'build-error.txt');

function giveUp(reason, log = '') {
  mkdirSync(join(pkg, 'build'), { recursive: true });
  writeFileSync(note, `${reason}\n${log}`);
  console.warn(`@flowshield/udp-batch: native addon not built (${reason}); the dgram twin will run`);
  process.exit(0);
}

if (platform() !== 'linux') {
  console.warn(`@flowshield/udp-batch: ${platform()} has no recvmmsg/sendmmsg; the dgram twin will run`);
  process.exit(0);
}
if (process.env.FLOWSHIELD_UDP_BATCH === 'dgram') giveUp('FLOWSHIELD_UDP_BATCH=dgram at install');

// Node's installation prefix holds include/node/node_api.h (Debian's nodejs: /usr). npm's
// `nodedir` setting wins when it points at headers.
const hasHeaders = (dir) => Boolean(dir) && existsSync(join(dir, 'include', 'node', 'node_api.h'));
const candidates = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')];
const nodedir = candidates.find(hasHeaders);
if (!nodedir) giveUp(`no Node headers (include/node/node_api.h) under ${candidates.filter(Boolean).join(' or ')}`);

// node-gyp: the one npm runs lifecycle scripts with, else the copy inside npm, else a local one.
const gyp = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  (() => { try { return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'); } catch { return undefined; } })(),
].find((p) => p && existsSync(p) && p.endsWith('.js'));
if (!gyp) giveUp('node-gyp not found (npm ships it under its own node_modules)');

const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--loglevel=warn'], {
  cwd: pkg, encoding: 'utf8', env: { ...process.env, npm_config_nodedir: nodedir },
});
const log = `${r.stdout ?? ''}${r.stderr ?? ''}`;
if (r.status !== 0) {
  // The compiler's own message says most; else gyp's or make's first error line.
  const lines = log.split('\n');
  const first = lines.find((l) => /\berror:/.test(l)) ?? lines.find((l) => /gyp ERR!|Error \d/.test(l)) ?? `node-gyp exited with ${r.status ?? r.signal}`;
  giveUp(first.trim(), log);
}
rmSync(note, { force: true });
console.log(`@flowshield/udp-batch: native addon built (node-gyp, --nodedir=${nodedir})`);
