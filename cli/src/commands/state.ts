import type { Command } from 'commander';
import { addDbOption, type DbOption, type JsonOption } from './event-options.js';
import { openReplicaForCli } from './status.js';
import { io } from '../io.js';

/** `flowshield state digest --db DIR`: the order-independent digest of a replica's state. */
export function registerState(program: Command): void {
  const state = program.command('state').description('inspect a state replica');
  addDbOption(state.command('digest')
    .description('order-independent digest of a replica: equal for every replica that merged the same events')
    .option('--json', 'print JSON'))
    .action(async (opts: DbOption & JsonOption) => {
      const reader = openReplicaForCli(opts.db);
      try {
        const { digest, entries } = reader.digest();
        const sequences = reader.sequences();
        const appliedEvents = reader.appliedEvents();
        if (opts.json) {
          io().stdout.write(`${JSON.stringify({ digest, entries, sequences, appliedEvents })}\n`);
          return;
        }
        io().stdout.write(`${digest}\n`);
        io().stdout.write(`entries ${entries}, events merged ${appliedEvents}, sequences ${Object.entries(sequences).map(([s, n]) => `${s}:${n}`).join(' ') || 'none'}\n`);
      } finally {
        await reader.close();
      }
    });
}
