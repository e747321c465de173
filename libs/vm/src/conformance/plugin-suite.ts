import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformanceFile } from './data-file.js';
import type { EngineName } from './plugin.js';

/*
 * Drives the plugin command the way the bpf_conformance runner does, one process per file, for
 * the plugin tests (not exported from the package).
 */
import { conformanceSuite } from './suite-path.js';

export const SUITE = conformanceSuite() ?? '';
/** `test` where the suite is; in a bare clone the suite's tests are not defined (the runner says why) */
export const suiteTest = SUITE ? test : () => undefined;
export const PLUGIN = new URL('../../bin/bpf-conformance-plugin.js', import.meta.url).pathname;

/** The byte format the bpf_conformance runner writes: two hex digits and two spaces per byte. */
export const runnerHex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0') + '  ').join('');

export function runPlugin(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PLUGIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin + '\n');
  });
}

/** Runs every suite file `select` keeps through the plugin with `engine`; returns the failures. */
export async function runSuiteThroughPlugin(engine: EngineName, select: (file: string, index: number) => boolean): Promise<string[]> {
  const files = readdirSync(SUITE).filter((f) => f.endsWith('.data')).sort().filter(select);
  const failures: string[] = [];
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const testCase = parseConformanceFile(readFileSync(join(SUITE, file), 'utf8'));
      const { code, stdout, stderr } = await runPlugin([runnerHex(testCase.memory), `--engine ${engine}`], runnerHex(testCase.program));
      if (testCase.error !== null) {
        if (code === 0) failures.push(`${file}: expected failure`);
      } else if (code !== 0 || BigInt(stdout.trim()) !== testCase.result) {
        failures.push(`${file}: exit ${code}, stdout '${stdout.trim()}', stderr '${stderr.trim()}'`);
      }
    }
  };
  // Three at a time: each is a process start, and the machine has two cores.
  await Promise.all([worker(), worker(), worker()]);
  return failures;
}
