import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AccessError, writeAccessFiles } from '@flowshield/access';
import { isNameToken } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { io } from '../io.js';

interface AccessInitOptions {
  out: string;
  host: string;
  port: string;
  storeDir: string;
  edge: string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  json?: boolean;
}

/**
 * `flowshield access init --out DIR --edge ID…`: the credentials and the single-node nats-server
 * config that `flowshield start` makes for itself, for a real deployment (deploy/README.md).
 */
export function registerAccess(program: Command): void {
  const access = program.command('access').description('NATS users and permissions per role (operator, edge, state, challenge)');
  access.command('init')
    .description('write an nkey seed per role and per edge (mode 0600, kept if present) and a nats-server config naming them')
    .requiredOption('--out <dir>', 'folder for the seed files and nats-server.conf')
    .option('--edge <id...>', 'edge ids, one user each (repeat or list)', [])
    .option('--host <host>', 'address nats-server listens on', '0.0.0.0')
    .option('--port <port>', 'client port', '4222')
    .option('--store-dir <dir>', 'JetStream store folder', '/var/lib/nats/jetstream')
    .option('--tls-cert <file>', 'server certificate: adds a tls {} block (with --tls-key)')
    .option('--tls-key <file>', 'server private key')
    .option('--tls-ca <file>', 'CA for client certificates (optional)')
    .option('--json', 'print {"serverConfig","credentials":{role: path, "edges": {id: path}}}')
    .action((opts: AccessInitOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--port must be a port number, not '${opts.port}'`);
      for (const id of opts.edge) if (!isNameToken(id)) throw new CliError('FS_ERR_CLI_BAD_OPTION', `not an edge id: ${JSON.stringify(id)} (1-64 of A-Z a-z 0-9 _ -)`);
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--tls-cert and --tls-key go together');
      const tls = opts.tlsCert && opts.tlsKey ? { cert: resolve(opts.tlsCert), key: resolve(opts.tlsKey), ...(opts.tlsCa ? { ca: resolve(opts.tlsCa) } : {}) } : null;
      let files;
      try {
        files = writeAccessFiles(opts.out, { host: opts.host, port, storeDir: opts.storeDir, edgeIds: opts.edge, tls });
      } catch (err) {
        if (err instanceof AccessError) throw new CliError(err.code, err.message, { cause: err });
        throw err;
      }
      const c = files.credentials;
      const edges = Object.fromEntries(Object.entries(c.edges).map(([id, u]) => [id, u.file]));
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ serverConfig: files.serverConfig, credentials: { operator: c.operator.file, state: c.state.file, challenge: c.challenge.file, edges } })}\n`);
        return;
      }
      io().stdout.write(`server config  ${files.serverConfig}   (nats-server -c ${files.serverConfig})\n`);
      for (const u of [c.operator, c.state, c.challenge, ...Object.values(c.edges)]) {
        io().stdout.write(`${(u.edgeId ? `edge ${u.edgeId}` : u.role).padEnd(14)} ${u.file}  ${u.publicKey}\n`);
      }
      io().stdout.write('Hand each seed file only to its process (--creds / NATS_CREDS / the edge config\'s nats.creds).\n');
    });
}
