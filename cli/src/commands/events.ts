import type { Command } from 'commander';
import { readEventHistory } from '@flowshield/events';
import { eventSubject, isNameToken } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { addServerOption, addStreamOption, eventStream, eventToJson, eventToLine, explainStreamError, parseIpOption, parseTime, withNats, type JsonOption, type ServerOption, type StreamOption } from './event-options.js';
import { io } from '../io.js';

interface EventsOptions extends ServerOption, JsonOption, StreamOption {
  ip?: string;
  tenant?: string;
  edge?: string;
  since?: string;
  until?: string;
  limit?: string;
}

/**
 * Events are stored some time after their HLC stamp (batching, outages), and clocks differ a
 * little between hosts, so the stream is read from this much before --since and filtered by HLC.
 */
const SKEW_MARGIN_MS = 60_000;

/** `flowshield events`: the event log (the JetStream stream itself), filtered. */
export function registerEvents(program: Command): void {
  addStreamOption(addServerOption(program.command('events')
    .description('the status event log, oldest first, filtered by IP, tenant, edge and HLC time')
    .option('--ip <ip>', 'only this source IP')
    .option('--tenant <tenant>', 'only this tenant')
    .option('--edge <edge>', 'only events from this edge')
    .option('--since <time>', 'from this time (ISO date, UNIX seconds/ms, -15m)')
    .option('--until <time>', 'up to and including this time')
    .option('--limit <n>', 'stop after this many events')
    .option('--json', 'one JSON object per line')))
    .action(async (opts: EventsOptions) => {
      const ip = opts.ip ? Buffer.from(parseIpOption(opts.ip)) : null;
      const since = opts.since ? parseTime(opts.since, '--since') : null;
      const until = opts.until ? parseTime(opts.until, '--until') : null;
      const limit = opts.limit ? Number(opts.limit) : Infinity;
      if (!(limit > 0)) throw new CliError('FS_ERR_CLI_BAD_LIMIT', '--limit must be a positive number');
      if (opts.edge && !isNameToken(opts.edge)) throw new CliError('FS_ERR_CLI_BAD_EDGE', `not an edge id: ${opts.edge}`);
      const stream = eventStream(opts);
      let shown = 0;
      let malformed = 0;
      await withNats(opts, async (nc) => {
        const history = readEventHistory(nc, {
          stream,
          ...(since !== null ? { startTimeMs: since - SKEW_MARGIN_MS } : {}),
          ...(opts.edge ? { filterSubject: eventSubject(opts.edge) } : {}),
        });
        for await (const entry of history) {
          if (!entry.batch) {
            malformed++;
            continue;
          }
          for (const e of entry.batch.events) {
            if (since !== null && e.hlcWall < since) continue;
            if (until !== null && e.hlcWall > until) continue;
            if (opts.tenant && e.tenant !== opts.tenant) continue;
            if (ip && !ip.equals(e.ip)) continue;
            io().stdout.write(`${opts.json ? JSON.stringify(eventToJson(e)) : eventToLine(e)}\n`);
            if (++shown >= limit) return;
          }
        }
      }).catch((err: unknown) => explainStreamError(err, opts.server));
      if (malformed > 0) io().stderr.write(`flowshield: skipped ${malformed} malformed or refused messages (see the dead-letter stream)\n`);
      if (!opts.json && shown === 0) io().stderr.write('no matching events\n');
    });
}
