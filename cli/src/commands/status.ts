import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_NAMES, STATUS_NAMES } from '@flowshield/proto';
import { isExpired, ReplicaReader } from '@flowshield/replica';
import { CliError } from '../errors.js';
import { addDbOption, eventToJson, expiryText, iso, parseIpOption, type DbOption, type JsonOption } from './event-options.js';
import { io } from '../io.js';

interface StatusOptions extends DbOption, JsonOption { tenant: string }

export function openReplicaForCli(db: string): ReplicaReader {
  if (!existsSync(join(db, 'data.mdb'))) throw new CliError('FS_ERR_CLI_NO_REPLICA', `no replica at ${db} (give --db or set STATE_DB)`);
  try {
    return ReplicaReader.open(db);
  } catch (err) {
    throw new CliError('FS_ERR_CLI_NO_REPLICA', `cannot open the replica at ${db}: ${(err as Error).message}`, { cause: err });
  }
}

/** `flowshield status IP --tenant T`: the IP's current status, its expiry, and the event that set it. */
export function registerStatus(program: Command): void {
  addDbOption(program.command('status')
    .description('current status of a source IP, its expiry, and which event set it (reads the local replica; sources only challenged so far read NONE: first contacts stay on their edge)')
    .argument('<ip>', 'IPv4 or IPv6 address')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--json', 'print JSON'))
    .action(async (ipText: string, opts: StatusOptions) => {
      const ip = parseIpOption(ipText);
      const reader = openReplicaForCli(opts.db);
      try {
        const event = reader.lookupEvent(opts.tenant, ip);
        const nowSeconds = Math.floor(Date.now() / 1000);
        const expired = event !== null && isExpired(event, nowSeconds);
        const status = event === null || expired ? 'NONE' : STATUS_NAMES[event.status];
        if (opts.json) {
          io().stdout.write(`${JSON.stringify({ tenant: opts.tenant, ip: ipText, status, expired, expiry: event?.expiry ?? null, setBy: event ? eventToJson(event) : null })}\n`);
          return;
        }
        if (!event) {
          // First contacts (NONE/CHALLENGED) stay on the edge that challenged them: never in a replica.
          io().stdout.write(`${ipText} (tenant ${opts.tenant}): NONE (no entry; a source only challenged so far has none)\n`);
          return;
        }
        io().stdout.write(`${ipText} (tenant ${opts.tenant}): ${status}${expired ? ` (was ${STATUS_NAMES[event.status]}, expired ${expiryText(event.expiry)})` : `, expires ${expiryText(event.expiry)}`}\n`);
        io().stdout.write(`  set by edge ${event.edgeId} event #${event.seq} at ${iso(event.hlcWall)} (hlc ${event.hlcWall}.${event.hlcLogical})\n`);
        io().stdout.write(`  ${STATUS_NAMES[event.prevStatus]} -> ${STATUS_NAMES[event.status]}, reason ${REASON_NAMES[event.reason] ?? event.reason}, program v${event.programVersion}\n`);
      } finally {
        await reader.close();
      }
    });
}
