import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { eventStreamBounds, Progress, readEventHistory } from '@flowshield/events';
import { EVENTS_STREAM, type StatusEvent } from '@flowshield/proto';
import { ReplicaWriter } from '@flowshield/replica';
import type { NatsConnection } from '@nats-io/transport-node';
import { CliError } from '../errors.js';
import { addServerOption, addStreamOption, eventStream, explainStreamError, iso, parseTime, withNats, type JsonOption, type ServerOption, type StreamOption } from './event-options.js';
import { io } from '../io.js';

interface ReplayOptions extends ServerOption, JsonOption, StreamOption {
  until: string;
  out: string;
  commitEvents: string;
}

export interface ReplayResult {
  until: number;
  digest: string;
  entries: number;
  eventsMerged: number;
  eventsAfterUntil: number;
  messagesRead: number;
  malformedMessages: number;
  lastSequence: number;
  /** The oldest message the stream still held: above 1, its limits had discarded older events. */
  firstSequence: number;
  seconds: number;
}

/**
 * Rebuilds the state as of `untilMs` (every event with an HLC at or before it) from the event
 * stream into a fresh replica at `outDir`, committing in large batches.
 */
export async function replayInto(nc: NatsConnection, outDir: string, untilMs: number,
  options: { stream?: string; commitEvents?: number; onProgress?: (messages: number, total: number, events: number) => void } = {}): Promise<ReplayResult> {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    throw new CliError('FS_ERR_CLI_REPLAY_TARGET', `${outDir} is not empty: replay builds a fresh replica`);
  }
  const started = Date.now();
  const stream = options.stream ?? EVENTS_STREAM;
  const { lastSeq, firstSeq } = await eventStreamBounds(nc, stream);
  const writer = ReplicaWriter.open(outDir);
  const commitEvents = options.commitEvents ?? 50_000;
  let pending: StatusEvent[] = [];
  let pendingMessages = 0;
  let merged = 0, after = 0, messages = 0, malformed = 0, last = 0;
  // One commit in flight (an asynchronous LMDB transaction, its fsync off this thread) while the
  // next messages are read and decoded; the writer takes one at a time.
  let inflight: Promise<unknown> = Promise.resolve();
  const commit = async () => {
    await inflight;
    // The replay replica records no stream position: it is a view as of a time, not a resumable replica.
    const committing = writer.mergeAsync({ stream: EVENTS_STREAM, lastSequence: 0, messages: pendingMessages, events: pending });
    // Handled now (the read goes on meanwhile, and an unhandled rejection ends the process); the next commit or the end awaits it.
    committing.catch(() => undefined);
    inflight = committing;
    merged += pending.length;
    pending = [];
    pendingMessages = 0;
  };
  try {
    for await (const entry of readEventHistory(nc, { stream, endSeq: lastSeq })) {
      messages++;
      pendingMessages++;
      last = entry.streamSeq;
      if (!entry.batch) malformed++;
      else {
        for (const e of entry.batch.events) {
          if (e.hlcWall <= untilMs) pending.push(e);
          else after++;
        }
      }
      if (pending.length >= commitEvents) await commit();
      options.onProgress?.(messages, lastSeq - firstSeq + 1, merged + pending.length);
    }
    await inflight;
    // The last commit synchronous: with lmdb-js 3.5.6 a read just after an asynchronous commit
    // settles was seen to miss it (the next transaction sees it), and the digest reads next.
    writer.merge({ stream: EVENTS_STREAM, lastSequence: 0, messages: pendingMessages, events: pending });
    merged += pending.length;
    const { digest, entries } = writer.digest();
    return {
      until: untilMs, digest, entries, eventsMerged: merged, eventsAfterUntil: after, messagesRead: messages,
      malformedMessages: malformed, lastSequence: last, firstSequence: firstSeq, seconds: (Date.now() - started) / 1000,
    };
  } finally {
    // Settled before the writer closes, whatever ended the read.
    await inflight.catch(() => undefined);
    await writer.close();
  }
}

/** `flowshield replay --until T --out DIR`: state as of T, rebuilt into a fresh LMDB. */
export function registerReplay(program: Command): void {
  addStreamOption(addServerOption(program.command('replay')
    .description('rebuild the state as of a time from the event log into a fresh LMDB replica, and print its digest')
    .requiredOption('--until <time>', 'include events up to this time (ISO date, UNIX seconds/ms, now, -15m)')
    .requiredOption('--out <dir>', 'new replica folder (must not exist or be empty)')
    .option('--commit-events <n>', 'events per LMDB transaction', '50000')
    .option('--json', 'print the result as JSON')))
    .action(async (opts: ReplayOptions) => {
      const until = parseTime(opts.until, '--until');
      const result = await withNats(opts, async (nc) => {
        let progress: Progress | null = null;
        const r = await replayInto(nc, opts.out, until, {
          stream: eventStream(opts),
          commitEvents: Number(opts.commitEvents),
          onProgress: (done, total, events) => {
            progress ??= new Progress('replay', total, io().stderr);
            progress.update(done, `messages, ${events} events`);
          },
        });
        (progress as Progress | null)?.finish(r.messagesRead, `messages, ${r.eventsMerged} events`);
        return r;
      }).catch((err: unknown) => explainStreamError(err, opts.server));
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ ...result, until: iso(result.until), out: opts.out })}\n`);
        return;
      }
      io().stdout.write(`${result.digest}\n`);
      io().stdout.write(`state as of ${iso(result.until)} in ${opts.out}: ${result.entries} entries from ${result.eventsMerged} events`
        + ` (${result.eventsAfterUntil} later events left out, ${result.messagesRead} messages read in ${result.seconds.toFixed(1)} s)\n`);
      if (result.malformedMessages > 0) io().stderr.write(`flowshield: skipped ${result.malformedMessages} malformed or refused messages (see the dead-letter stream)\n`);
      if (result.firstSequence > 1) {
        io().stderr.write(`flowshield: the stream starts at message ${result.firstSequence}: its limits discarded older events, so this state lacks them\n`);
      }
    });
}
