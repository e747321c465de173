// How long the operator waits for `flowshield` to start, against Node starting and doing nothing
// (`node -e 0`), measured in the same run: `--help` (target ≤ 2×: the list comes from
// cli/src/commands/verbs.ts, no verb's module loaded), a verb's own help, and `verify` of a
// compiled program (it loads the VM, never binaryen). Each command runs ROUNDS times interleaved
// with the baseline; the figure is the fastest run of each (the least disturbed on a shared machine).
//   node bench/cli/run.mjs [--rounds N] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, json: { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const ROOT = new URL('../../', import.meta.url).pathname;
const CLI = join(ROOT, 'cli/bin/flowshield.js');
const TARGET_HELP = 2;

const dir = mkdtempSync(join(tmpdir(), 'fs-bench-cli-'));
try {
  const object = join(dir, 'challenge.o');
  execFileSync(process.execPath, [CLI, 'compile', join(ROOT, 'programs/examples/challenge.c'), '-o', object], { stdio: 'ignore' });
  const commands = {
    baseline: ['-e', '0'],
    help: [CLI, '--help'],
    verbHelp: [CLI, 'deploy', '--help'],
    verify: [CLI, 'verify', object],
  };
  const best = Object.fromEntries(Object.keys(commands).map((k) => [k, Infinity]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const started = process.hrtime.bigint();
      const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr}`);
      best[name] = Math.min(best[name], ms);
    }
  }
  const ratio = (name) => best[name] / best.baseline;
  const result = {
    rounds: ROUNDS,
    ms: best,
    helpVsNode: { value: ratio('help'), target: `≤ ${TARGET_HELP}×`, met: ratio('help') <= TARGET_HELP },
    verbHelpVsNode: ratio('verbHelp'),
    verifyVsNode: ratio('verify'),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const f = (n) => n.toFixed(0);
    console.log(`node -e 0:                 ${f(best.baseline)} ms (baseline; fastest of ${ROUNDS})`);
    console.log(`flowshield --help:         ${f(best.help)} ms = ${ratio('help').toFixed(2)}× (target ≤ ${TARGET_HELP}×: ${result.helpVsNode.met ? 'MET' : 'NOT MET'})`);
    console.log(`flowshield deploy --help:  ${f(best.verbHelp)} ms = ${ratio('verbHelp').toFixed(2)}× (loads deploy's libraries: NATS, the VM, signing)`);
    console.log(`flowshield verify X.o:     ${f(best.verify)} ms = ${ratio('verify').toFixed(2)}× (loads and verifies; no binaryen)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
