// Runs every compiled test file (package tests beside their code, cross-package tests under
// test/) with node's test runner, then prints "N passed, N failed" as the closing line.
// Usage: node scripts/run-tests.mjs [path-filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tmpdir, availableParallelism } from 'node:os';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function* testFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* testFiles(path);
    else if (entry.name.endsWith('.test.js') && path.includes('/dist/')) yield path;
  }
}

const roots = ['libs', 'services', 'sdk', 'cli', 'programs', 'test'].map((d) => join(root, d)).filter((d) => {
  try { return statSync(d).isDirectory(); } catch { return false; }
});
const files = roots.flatMap((d) => [...testFiles(d)])
  .filter((f) => filters.length === 0 || filters.some((p) => relative(root, f).includes(p)))
  .sort();

if (files.length === 0) {
  // node --test with no file would discover and run every test: say so instead.
  console.log(`no compiled test file matches ${filters.map((f) => JSON.stringify(f)).join(', ')}\n0 passed, 1 failed`);
  process.exit(1);
}

const scratch = mkdtempSync(join(tmpdir(), 'flowshield-test-'));
const countsFile = join(scratch, 'counts.json');
// Tests that need a suite from outside the repository (../shared) note here why they did not run.
const notesDir = join(scratch, 'notes');
const args = [
  '--test',
  `--test-concurrency=${Math.max(2, availableParallelism())}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${join(root, 'scripts/count-reporter.mjs')}`, `--test-reporter-destination=${countsFile}`,
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, FLOWSHIELD_TEST_NOTES: notesDir } });
child.on('exit', (code) => {
  let counts = { passed: 0, failed: files.length === 0 ? 1 : 0, skipped: 0 };
  try { counts = JSON.parse(readFileSync(countsFile, 'utf8')); } catch { /* runner died before reporting */ }
  let notes = [];
  try { notes = readdirSync(notesDir).sort().map((f) => readFileSync(join(notesDir, f), 'utf8').trim()); } catch { /* none */ }
  rmSync(scratch, { recursive: true, force: true });
  if (notes.length > 0) console.log(`\n${notes.join('\n')}`);
  const failed = counts.failed + (code !== 0 && counts.failed === 0 ? 1 : 0);
  console.log(`\n${counts.passed} passed, ${failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  process.exit(code === 0 && failed === 0 && counts.passed > 0 ? 0 : 1);
});
