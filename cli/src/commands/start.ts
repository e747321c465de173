import type { Command } from 'commander';
import { join } from 'node:path';
import { LocalStack, ROOT } from '../local-stack/local-stack.js';
import { dataDir } from '../local-stack/stack-file.js';
import { CliError } from '../errors.js';
import { io } from '../io.js';

interface StartOptions {
  dataDir?: string;
  server?: string;
  creds?: string;
  natsPort: string;
  edgePort: string;
  originPort: string;
  tenant: string;
  program: string;
  verbose?: boolean;
  regions: string;
  nodes: string;
}

function count(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new CliError('FS_ERR_CLI_BAD_OPTION', `${flag} must be a whole number from 1 to 5, got ${JSON.stringify(text)}`);
  return n;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run the whole stack on this machine: nats-server, state and challenge services, an echo game server and an edge with the example program')
    .option('--data-dir <dir>', 'where nats, the replica, credentials, the operator key pair and stack.json are kept (env FLOWSHIELD_DATA_DIR, default .data)')
    .option('--server <url>', 'use this NATS instead of starting one (env NATS_URL); no credentials are generated then', io().env.NATS_URL || undefined)
    .option('--creds <file>', 'with --server: the credentials file every role uses there (env NATS_CREDS)', io().env.NATS_CREDS || undefined)
    .option('--nats-port <port>', 'port for the nats-server started here (the next free one if taken)', '4222')
    .option('--edge-port <port>', 'UDP port clients send to (the next free one if taken)', '27015')
    .option('--origin-port <port>', 'UDP port of the echo game server', '27016')
    .option('--tenant <name>', 'tenant of the demo service', 'demo')
    .option('--program <file.c>', 'program to compile and deploy', join(ROOT, 'programs/examples/challenge.c'))
    .option('--regions <n>', 'regions of a local supercluster (per region a cluster, gateways between them, a leaf site, a state service with its own replica and an edge)', '1')
    .option('--nodes <n>', 'nats-servers per region (3: R3 streams)', '1')
    .option('--verbose', 'show every log line of every process, not only warnings')
    .action(async (opts: StartOptions) => {
      const stack = new LocalStack({
        dataDir: dataDir(opts.dataDir),
        server: opts.server ?? null,
        creds: opts.creds ?? null,
        natsPort: Number(opts.natsPort),
        edgePort: Number(opts.edgePort),
        originPort: Number(opts.originPort),
        tenant: opts.tenant,
        program: opts.program,
        verbose: opts.verbose ?? false,
        regions: count('--regions', opts.regions),
        nodes: count('--nodes', opts.nodes),
      });
      // The first Ctrl-C (or SIGTERM) stops the stack in order; a second one kills what is still
      // running, and the stop finishes either way: no child outlives `flowshield start`.
      let signals = 0;
      const stopped = new Promise<void>((resolve) => {
        const onSignal = () => {
          if (++signals === 1) return resolve();
          io().stdout.write('stopping faster: killing what is still running…\n');
          stack.kill();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      try {
        await stack.start();
      } catch (err) {
        await stack.stop();
        throw err;
      }
      io().stdout.write(stack.summary.join('\n') + '\n');
      await stopped;
      io().stdout.write('stopping…\n');
      await stack.stop();
      io().stdout.write('stopped\n');
    });
}
