import type { Command } from 'commander';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  ChallengeSubject, DecodeError, decodeApiMessage, encodeApiMessage, type EpochInfo, type KeysListReply, type KeysRotateReply,
} from '@flowshield/proto';
import { CliError } from '../errors.js';
import { writeOperatorKeyPair } from './operator-key.js';
import { dataDir } from '../local-stack/stack-file.js';
import { addServerOption, withNats, type NatsOptions } from './nats-connection.js';
import { io } from '../io.js';

interface KeysOptions extends NatsOptions {
  json?: boolean;
  timeout: string;
}

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

async function ask<T extends { v: number }>(nc: NatsConnection, subject: string, timeoutMs: number): Promise<T> {
  try {
    const msg = await nc.request(subject, encodeApiMessage({ v: 1 }), { timeout: timeoutMs });
    return decodeApiMessage<T>(msg.data);
  } catch (err) {
    const { RequestError } = await import('@nats-io/transport-node');
    if (err instanceof RequestError && err.isNoResponders()) {
      throw new CliError('FS_ERR_CLI_CHALLENGE_UNAVAILABLE', `no challenge service answers on ${subject}`, { cause: err });
    }
    if (err instanceof DecodeError) throw new CliError('FS_ERR_CLI_BAD_REPLY', `the challenge service sent an unreadable reply (${err.code})`, { cause: err });
    throw new CliError('FS_ERR_CLI_CHALLENGE_TIMEOUT', `the challenge service did not answer on ${subject} within ${timeoutMs} ms`, { cause: err });
  }
}

function printEpochs(epochs: EpochInfo[]): void {
  const rows = [...epochs].sort((a, b) => a.id - b.id).map((e) => [String(e.id), e.state, iso(e.notBefore), iso(e.notAfter), iso(e.acceptUntil)]);
  const head = ['ID', 'STATE', 'ISSUES FROM', 'ISSUES UNTIL', 'ACCEPTED UNTIL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) io().stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}

/**
 * `flowshield keys list` / `flowshield keys rotate`: the challenge key ring, through the challenge
 * service's NATS API. Shows ids and epochs only; key bytes never leave the service.
 */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('the challenge key ring (key ids and epochs, never key bytes) and the operator signing key');
  const common = (c: Command) => addServerOption(c)
    .option('--timeout <ms>', 'how long to wait for the challenge service', '5000')
    .option('--json', 'print JSON');

  common(keys.command('list').description('list the epochs: previous (still accepted), current, next (published ahead)'))
    .action(async (opts: KeysOptions) => {
      const reply = await withNats(opts, (nc) => ask<KeysListReply>(nc, ChallengeSubject.keysList, Number(opts.timeout)), Number(opts.timeout));
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ epochs: reply.epochs, signingKeyIds: reply.signingKeyIds })}\n`);
        return;
      }
      printEpochs(reply.epochs);
      io().stdout.write(`token signing key ids: ${reply.signingKeyIds.join(', ')}\n`);
    });

  common(keys.command('rotate').description('end the current epoch now; the previous one stays accepted for one epoch'))
    .action(async (opts: KeysOptions) => {
      const reply = await withNats(opts, (nc) => ask<KeysRotateReply>(nc, ChallengeSubject.keysRotate, Number(opts.timeout)), Number(opts.timeout));
      if (!reply.ok) throw new CliError('FS_ERR_CLI_ROTATE_REFUSED', `rotation refused: ${reply.reason}`);
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ current: reply.current, previous: reply.previous })}\n`);
        return;
      }
      io().stdout.write(`rotated: current epoch ${reply.current}${reply.previous === null ? '' : `, previous ${reply.previous} still accepted`}\n`);
    });

  keys.command('operator').description('the operator key that signs deployments (edges trust its public key, `operatorKeys`)')
    .command('init')
    .description('make an Ed25519 operator key pair: operator.key (private, mode 0600) and operator.pub; prints the public key for the edges\' operatorKeys')
    .option('--out <dir>', 'folder to write into (env FLOWSHIELD_DATA_DIR, default .data)', dataDir())
    .option('--force', 'replace an existing key pair (edges trusting the old public key will refuse what the new one signs)')
    .option('--json', 'print {"publicKey","keyFile","pubFile"}')
    .action((opts: { out: string; force?: boolean; json?: boolean }) => {
      const { signer, keyFile, pubFile } = writeOperatorKeyPair(opts.out, opts.force === true);
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ publicKey: signer.publicKeyText, keyFile, pubFile })}\n`);
        return;
      }
      io().stdout.write(`${signer.publicKeyText}\nwrote ${keyFile} (private, keep it secret) and ${pubFile}; add the public key to each edge's "operatorKeys"\n`);
    });
}
