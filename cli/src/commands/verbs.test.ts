import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, Help } from 'commander';
import { CLI, runCli } from '../testing/run-cli.js';
import { VERBS } from './verbs.js';

const SRC = fileURLToPath(new URL('../../src/commands/', import.meta.url));

test('cli verbs - buildProgram() without arguments is the whole tree', async () => {
  const { buildProgram } = await import('../main.js');
  assert.deepEqual((await buildProgram()).commands.map((c) => c.name()), VERBS.map((v) => v.name));
});

test('cli verbs - the listing names each verb as its module registers it', async () => {
  const help = new Help();
  for (const verb of VERBS) {
    const program = new Command('flowshield');
    (await verb.load())(program);
    assert.equal(program.commands.length, 1, `${verb.name}: its module registers one verb`);
    const cmd = program.commands[0]!;
    assert.equal(cmd.name(), verb.name);
    assert.equal(help.subcommandTerm(cmd), verb.term, `${verb.name}: verbs.ts term`);
    assert.equal(cmd.description(), verb.summary, `${verb.name}: verbs.ts summary`);
  }
  // A module that registers a verb and is not listed would never run.
  const registering = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.includes('.test') && /export function register\w+\(program: Command\)/.test(readFileSync(join(SRC, f), 'utf8')));
  const listed = readFileSync(join(SRC, 'verbs.ts'), 'utf8');
  for (const file of registering) assert.ok(listed.includes(`import('./${file.replace(/\.ts$/, '.js')}')`), `${file} registers a verb that verbs.ts does not list`);
});

test('cli verbs - `help VERB` is that verb\'s help; an unknown verb is one line with a suggestion', async () => {
  const viaHelp = await runCli(['help', 'deploy']);
  const direct = await runCli(['deploy', '--help']);
  assert.equal(viaHelp.stdout, direct.stdout);
  assert.match(direct.stdout, /--tenant/);
  const afterDashes = await runCli(['--', 'verify']);
  assert.equal(afterDashes.code, 1);
  assert.equal(afterDashes.stderr, "flowshield: missing required argument 'program'\n", 'a verb after -- is that verb');
  const typo = await runCli(['verfy', 'x.o']);
  assert.notEqual(typo.code, 0);
  assert.equal(typo.stderr, "flowshield: unknown command 'verfy' (Did you mean verify?)\n");
});

test('cli verbs - `flowshield --help` lists every verb and loads no library of the workspace, NATS, LMDB or binaryen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fs-cli-loads-'));
  try {
    const log = join(dir, 'loaded.txt');
    // A resolve hook that writes down every module the run loads.
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`);
    writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
    const run = spawnSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, CLI, '--help'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    for (const verb of VERBS) assert.ok(run.stdout.includes(`  ${verb.term}  `) || run.stdout.includes(`  ${verb.term}\n`), `${verb.term} listed`);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(loaded.some((u) => u.includes('commander')), 'the hook saw the run');
    const heavy = loaded.filter((u) => /\/libs\/|@nats-io|\/lmdb\/|binaryen|@noble|msgpackr|pino/.test(u));
    assert.deepEqual(heavy, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
