import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the bpf_conformance suite is: `../shared/conformance/tests` beside the clone. */
const SUITE_DIR = new URL('../../../../../shared/conformance/tests/', import.meta.url).pathname;

/**
 * The conformance suite's folder, or null in a bare clone (no `../shared` beside it): then the
 * tests that need it are not defined, and the test runner says once, in its closing summary, that
 * they were not run and why. CI always has the suite, so there its absence is an error.
 */
export function conformanceSuite(): string | null {
  if (existsSync(SUITE_DIR)) return SUITE_DIR;
  const reason = `the bpf_conformance suite is not at ${SUITE_DIR} (a clone without ../shared beside it)`;
  if (process.env.CI) throw new Error(`${reason}; CI must run it`);
  const notes = process.env.FLOWSHIELD_TEST_NOTES;
  if (notes) {
    mkdirSync(notes, { recursive: true });
    writeFileSync(join(notes, 'conformance-suite.txt'), `conformance tests not run: ${reason}\n`);
  }
  return null;
}
