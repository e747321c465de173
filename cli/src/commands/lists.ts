import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { LISTS_BUCKET, LIST_OBJECT_NAME } from '@flowshield/proto';
import { isRulesError, parsePrefixListJson, parsePrefixListText, prefixListFromFile, prefixListToFile, type PrefixList } from '@flowshield/rules';
import { CliError } from '../errors.js';
import { io } from '../io.js';
import { addServerOption, withNats, type NatsOptions } from './nats-connection.js';

/*
 * `flowshield lists put/get/ls`: IP prefix lists (`$name` in rules) in the NATS object store
 * LISTS_BUCKET, one object per name in libs/proto's FSPL layout. A put replaces the object; the
 * store's revision and the object's SHA-256 tell versions apart (a rules version pins the
 * SHA-256 of each list it was checked against).
 */

interface JsonOption { json?: boolean }

async function openListStore(nc: Parameters<Parameters<typeof withNats>[1]>[0], server: string): Promise<ObjectStore> {
  try {
    return await new Objm(nc).create(LISTS_BUCKET);
  } catch (err) {
    throw new CliError('FS_ERR_CLI_NO_JETSTREAM', `cannot open the ${LISTS_BUCKET} object store on NATS at ${server}: ${(err as Error).message}`, { cause: err });
  }
}

function checkListName(name: string): string {
  if (!LIST_OBJECT_NAME.test(name)) throw new CliError('FS_ERR_CLI_BAD_LIST_NAME', `not a list name: ${JSON.stringify(name)} (1-64 of a-z 0-9 _ .)`);
  return name;
}

/** A list file: a JSON array of prefixes, or text with one prefix per line (`#` comments). */
export function readListFile(path: string): PrefixList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError('FS_ERR_CLI_READ', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  try {
    return text.trimStart().startsWith('[') ? parsePrefixListJson(text) : parsePrefixListText(text);
  } catch (err) {
    if (isRulesError(err)) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const describe = (list: PrefixList) => `${list.v4Len.length} IPv4, ${list.v6Len.length} IPv6 prefixes`;

export function registerLists(program: Command): void {
  const lists = program.command('lists').description('IP prefix lists for rules ($name), in the NATS object store');

  addServerOption(lists.command('put')
    .description('upload a list (text: one prefix per line, # comments; or a JSON array), replacing the one of that name')
    .argument('<name>', 'list name, as $name in rules (a-z 0-9 _ .)')
    .argument('<file>', 'list file')
    .option('--json', 'print {"name","prefixes","ipv4","ipv6","bytes","sha256","revision"}'))
    .action(async (name: string, file: string, opts: NatsOptions & JsonOption) => {
      checkListName(name);
      const list = readListFile(file);
      const bytes = prefixListToFile(list);
      const digest = sha256(bytes);
      const info = await withNats(opts, async (nc) => (await openListStore(nc, opts.server!)).putBlob({ name, description: describe(list), metadata: { sha256: digest } }, bytes));
      const out = { name, prefixes: list.size, ipv4: list.v4Len.length, ipv6: list.v6Len.length, bytes: bytes.length, sha256: digest, revision: info.revision };
      io().stdout.write(opts.json ? `${JSON.stringify(out)}\n` : `list ${name}: ${describe(list)}, ${bytes.length} bytes, sha256 ${digest}\n`);
    });

  addServerOption(lists.command('get')
    .description('download a list: its prefixes, one per line (or --json, or --out FILE)')
    .argument('<name>', 'list name')
    .option('--out <file>', 'write the prefixes there instead of standard output')
    .option('--json', 'print {"name","sha256","prefixes":[…]}'))
    .action(async (name: string, opts: NatsOptions & JsonOption & { out?: string }) => {
      checkListName(name);
      const bytes = await withNats(opts, async (nc) => (await openListStore(nc, opts.server!)).getBlob(name));
      if (bytes === null) throw new CliError('FS_ERR_CLI_NO_LIST', `no list named ${name} in ${LISTS_BUCKET}`);
      let list: PrefixList;
      try {
        list = prefixListFromFile(bytes);
      } catch (err) {
        throw new CliError('FS_ERR_CLI_BAD_LIST', `list ${name} in the store is not a valid list object: ${(err as Error).message}`, { cause: err });
      }
      const text = opts.json ? `${JSON.stringify({ name, sha256: sha256(bytes), prefixes: [...list.texts()] })}\n` : [...list.texts()].map((t) => `${t}\n`).join('');
      if (opts.out) writeFileSync(opts.out, text);
      else io().stdout.write(text);
    });

  addServerOption(lists.command('ls')
    .description('the lists in the store: name, size, prefixes, when written')
    .option('--json', 'print {"lists":[{"name","bytes","description","sha256","modified","revision"}]}'))
    .action(async (opts: NatsOptions & JsonOption) => {
      const infos = await withNats(opts, async (nc) => (await openListStore(nc, opts.server!)).list());
      const rows = infos.filter((i) => !i.deleted).sort((a, b) => a.name.localeCompare(b.name)).map((i) => ({
        name: i.name, bytes: i.size, description: i.description ?? '', sha256: i.metadata?.sha256 ?? null, modified: i.mtime, revision: i.revision,
      }));
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ lists: rows })}\n`);
        return;
      }
      if (rows.length === 0) io().stdout.write('no lists\n');
      for (const r of rows) io().stdout.write(`${r.name.padEnd(24)} ${r.description.padEnd(36)} ${String(r.bytes).padStart(10)} bytes  ${r.modified}\n`);
    });
}
