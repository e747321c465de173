import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { OperatorSigner } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { dataDir } from '../local-stack/stack-file.js';
import { io } from '../io.js';

/*
 * The operator signing key on disk: `operator.key` (PKCS#8 PEM, mode 0600) and `operator.pub`
 * (`ed25519:<64 hex>`, the line edges list under `operatorKeys`), in the data dir by default.
 */

export const OPERATOR_KEY_FILE = 'operator.key';
export const OPERATOR_PUB_FILE = 'operator.pub';

/** The data dir: FLOWSHIELD_DATA_DIR, else `.data` under the current directory (as `flowshield start`). */
export const defaultSigningKey = (): string => io().env.FLOWSHIELD_OPERATOR_KEY || join(dataDir(), OPERATOR_KEY_FILE);

export function addSigningKeyOption(c: Command): Command {
  return c.option('--signing-key <file>', `operator private key the record is signed with (env FLOWSHIELD_OPERATOR_KEY, default <data dir>/${OPERATOR_KEY_FILE}; make one with \`flowshield keys operator init\`)`);
}

/** Reads the operator private key; a missing or unreadable one fails with one line saying how to make it. */
export function readSigningKey(path: string | undefined): OperatorSigner {
  const file = path ?? defaultSigningKey();
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError('FS_ERR_CLI_NO_SIGNING_KEY', `no operator signing key at ${file} (${code ?? 'unreadable'}): make one with \`flowshield keys operator init\`, or pass --signing-key FILE`, { cause: err });
  }
  try {
    return OperatorSigner.fromPem(pem);
  } catch (err) {
    throw new CliError('FS_ERR_CLI_BAD_SIGNING_KEY', `${file} is not an operator signing key: ${(err as Error).message}`, { cause: err });
  }
}

/** Writes a new key pair into `dir`; refuses to replace existing files unless `force`. */
export function writeOperatorKeyPair(dir: string, force: boolean): { signer: OperatorSigner; keyFile: string; pubFile: string } {
  const keyFile = join(dir, OPERATOR_KEY_FILE);
  const pubFile = join(dir, OPERATOR_PUB_FILE);
  if (!force) {
    for (const f of [keyFile, pubFile]) {
      if (existsSync(f)) throw new CliError('FS_ERR_CLI_KEY_EXISTS', `${f} exists; edges trust the key it holds — pass --force to replace it`);
    }
  }
  const { signer, privatePem } = OperatorSigner.generate();
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(keyFile, privatePem, { mode: 0o600 });
    chmodSync(keyFile, 0o600); // writeFileSync's mode applies only when it creates the file
    writeFileSync(pubFile, `${signer.publicKeyText}\n`, { mode: 0o644 });
  } catch (err) {
    throw new CliError('FS_ERR_CLI_WRITE_FAILED', `cannot write the operator key into ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return { signer, keyFile, pubFile };
}

/** The key pair in `dir`, made when missing (what `flowshield start` runs with). */
export function ensureOperatorKeyPair(dir: string): { signer: OperatorSigner; keyFile: string } {
  const keyFile = join(dir, OPERATOR_KEY_FILE);
  if (existsSync(keyFile)) return { signer: readSigningKey(keyFile), keyFile };
  return writeOperatorKeyPair(dir, true);
}
