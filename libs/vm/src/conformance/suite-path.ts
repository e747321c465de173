import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `../shared` beside the clone: suites from outside the repository (bpf_conformance, PFP's headers). */
const SHARED_DIR = new URL('../../../../../shared/', import.meta.url).pathname;

/**
 * A folder of `../shared`, or null in a bare clone (no `../shared` beside it): then the tests that
 * need it are not defined, and the test runner says once, in its closing summary, that they were
 * not run and why (the note `FLOWSHIELD_TEST_NOTES/<note>.txt`). CI always has `../shared`, so
 * there its absence is an error.
 */
export function sharedSuite(path: string, what: string, note: string, tests: string): string | null {
  const dir = join(SHARED_DIR, path);
  if (existsSync(dir)) return dir;
  const reason = `${what} is not at ${dir} (a clone without ../shared beside it)`;
  if (process.env.CI) throw new Error(`${reason}; CI must run it`);
  const notes = process.env.FLOWSHIELD_TEST_NOTES;
  if (notes) {
    mkdirSync(notes, { recursive: true });
    writeFileSync(join(notes, `${note}.txt`), `${tests} not run: ${reason}\n`);
  }
  return null;
}

/** Where the bpf_conformance suite is: `../shared/conformance/tests`. */
export function conformanceSuite(): string | null {
  return sharedSuite('conformance/tests/', 'the bpf_conformance suite', 'conformance-suite', 'conformance tests');
}

/** Cloudflare's published PFP headers: `../shared/pfp-headers`. */
export function pfpHeaders(): string | null {
  return sharedSuite('pfp-headers/', "Cloudflare's PFP headers", 'pfp-headers', 'PFP header tests');
}
