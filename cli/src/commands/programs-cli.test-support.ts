/** Shared by the deploy, rollback and programs tests: real clang-compiled programs and a temp folder. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { PROGRAMS_BUCKET, DEPLOYMENT_HISTORY } from '@flowshield/proto';
import { runCli, type CliResult } from '../testing/run-cli.js';
import { writeOperatorKeyPair } from './operator-key.js';

const EXAMPLES = fileURLToPath(new URL('../../../programs/examples/', import.meta.url));

/** A C program clang compiles (with a warning) that reads an uninitialised variable on line 5. */
export const UNINITIALISED_READ_C =
  '#include <flowshield.h>\nSEC("flowshield") u64 cf_ebpf_main(struct fs_ctx *ctx)\n{\n    u64 secret;\n    return fs_set_src_ip_data(secret);\n}\n';

/**
 * The operator key every `flowshield deploy`/`rollback` in these tests signs with: runCli passes
 * this process's environment on, so FLOWSHIELD_OPERATOR_KEY points the CLI at it.
 */
export const TEST_OPERATOR = writeOperatorKeyPair(mkdtempSync(join(tmpdir(), 'flowshield-operator-')), false);
process.env.FLOWSHIELD_OPERATOR_KEY = TEST_OPERATOR.keyFile;

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `flowshield compile` on one of programs/examples; returns the object's path. */
export async function compileExample(dir: string, name: string): Promise<string> {
  const out = join(dir, name.replace(/\.c$/, '.o'));
  const result = await runCli(['compile', join(EXAMPLES, name), '-o', out]);
  assert.equal(result.code, 0, result.stderr);
  return out;
}

/** `flowshield compile` on a source written here (clang may warn; the object must still exist). */
export async function compileSource(dir: string, name: string, source: string): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, source);
  const out = path.replace(/\.c$/, '.o');
  const result = await runCli(['compile', path, '-o', out]);
  assert.equal(result.code, 0, result.stderr);
  return out;
}

/** Runs `flowshield ARGS --json` and parses its single output line. */
export async function cliJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await runCli([...args, '--json']);
  assert.equal(result.code, 0, `flowshield ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** A failure the way the operator sees it: non-zero exit and exactly one line on stderr. */
export function assertOneLineFailure(result: CliResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, result.stdout);
  assert.match(result.stderr, /^flowshield: [^\n]+\n$/, result.stderr);
  assert.match(result.stderr, pattern);
}

/** Writes raw bytes into the programs bucket (or deletes the key), as a careless script might. */
export async function putRaw(url: string, key: string, value: Uint8Array | 'delete'): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(nc).create(PROGRAMS_BUCKET, { history: DEPLOYMENT_HISTORY });
    if (value === 'delete') await kv.delete(key);
    else await kv.put(key, value);
  } finally {
    await nc.close();
  }
}
