import type { Command } from 'commander';
import { createSnapshot, listSnapshots, openSnapshotStore, restoreSnapshot, SnapshotError, SnapshotProgress } from '@flowshield/events';
import { isNameToken } from '@flowshield/proto';
import { copyReplica, readSnapshotFacts } from '@flowshield/replica';
import { CliError } from '../errors.js';
import { addDbOption, addServerOption, iso, withNats, type DbOption, type JsonOption, type ServerOption } from './event-options.js';
import { openReplicaForCli } from './status.js';
import { io } from '../io.js';

interface CreateOptions extends ServerOption, DbOption, JsonOption { replicaId: string }
interface RestoreOptions extends ServerOption, JsonOption { out: string; name?: string }

/** `flowshield snapshot create/list/restore`: replica snapshots in the NATS object store. */
export function registerSnapshot(program: Command): void {
  const snapshot = program.command('snapshot').description('replica snapshots in the NATS object store');

  addDbOption(addServerOption(snapshot.command('create')
    .description('copy a replica (live or not) and upload it with its manifest')
    .option('--replica-id <id>', 'replica id recorded in the manifest', io().env.STATE_REPLICA_ID || 'replica-1')
    .option('--json', 'print the manifest as JSON')))
    .action(async (opts: CreateOptions) => {
      if (!isNameToken(opts.replicaId)) throw new CliError('FS_ERR_CLI_BAD_REPLICA_ID', `not a replica id: ${opts.replicaId}`);
      await openReplicaForCli(opts.db).close();
      // Progress on stderr (a bar on a terminal): a copy of millions of entries is digested and uploaded.
      const progress = new SnapshotProgress('snapshot', io().stderr);
      const manifest = await withNats(opts, (nc) => createSnapshot(nc, { copy: (dir, onVerify) => copyReplica(opts.db, dir, onVerify) }, opts.replicaId,
        { onProgress: progress.update })).finally(() => progress.finish());
      if (opts.json) {
        io().stdout.write(`${JSON.stringify(manifest)}\n`);
        return;
      }
      io().stdout.write(`snapshot ${manifest.dataObject}: ${manifest.entries} entries, digest ${manifest.digest}, sequences ${JSON.stringify(manifest.sequences)}\n`);
    });

  addServerOption(snapshot.command('list')
    .description('snapshots, newest first')
    .option('--json', 'print JSON'))
    .action(async (opts: ServerOption & JsonOption) => {
      const { manifests, unreadable } = await withNats(opts, async (nc) => listSnapshots(await openSnapshotStore(nc)));
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ snapshots: manifests, unreadable })}\n`);
        return;
      }
      if (manifests.length === 0) io().stdout.write('no snapshots\n');
      for (const m of manifests) {
        io().stdout.write(`${m.dataObject}  ${iso(m.createdAt)}  replica ${m.replicaId}  ${m.entries} entries  sequences ${Object.entries(m.sequences).map(([s, n]) => `${s}:${n}`).join(' ')}  digest ${m.digest.slice(0, 16)}…\n`);
      }
      if (unreadable > 0) io().stderr.write(`flowshield: ${unreadable} manifests could not be read\n`);
    });

  addServerOption(snapshot.command('restore')
    .description('download a snapshot (the newest unless --name) into a new replica folder, checked against its manifest')
    .requiredOption('--out <dir>', 'replica folder to create (must not hold a replica)')
    .option('--name <object>', 'snapshot data object name (from `snapshot list`)')
    .option('--json', 'print the manifest as JSON'))
    .action(async (opts: RestoreOptions) => {
      const progress = new SnapshotProgress('restore', io().stderr);
      const manifest = await withNats(opts, (nc) => restoreSnapshot(nc, { facts: readSnapshotFacts }, opts.out,
        { onProgress: progress.update, ...(opts.name ? { dataObject: opts.name } : {}) }))
        .finally(() => progress.finish())
        .catch((err: unknown) => {
          if (err instanceof SnapshotError) throw new CliError(err.code, err.message, { cause: err });
          throw err;
        });
      if (!manifest) throw new CliError('FS_ERR_CLI_NO_SNAPSHOT', 'the object store holds no snapshot');
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ ...manifest, out: opts.out })}\n`);
        return;
      }
      io().stdout.write(`restored ${manifest.dataObject} into ${opts.out}: ${manifest.entries} entries, digest ${manifest.digest} (checked)\n`);
    });
}
