import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { DEFAULT_PROGRAM_BUDGET, programTypeForSection } from '@flowshield/vm';
import { MAX_PROGRAM_BUDGET, PROGRAMS_BUCKET, deploymentKey, isProgramName, namedProgramKey, signDeployment, signNamedProgram, type FailVerdict } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { addServerOption, withNats } from './event-options.js';
import { PROGRAM_TYPE_NAMES, loadProgramFile, readInput } from './load.js';
import { addSigningKeyOption, readSigningKey } from './operator-key.js';
import { checkTenant, defaultDeployer, highestVersion, nextDeployedAt, openProgramsBucket, programStore, publishDeployment } from './programs-bucket.js';
import { io } from '../io.js';

interface DeployOptions {
  tenant?: string;
  name?: string;
  section?: string;
  type?: string;
  failVerdict: string;
  monitoring?: boolean;
  budget: string;
  deployedBy: string;
  signingKey?: string;
  server: string;
  json?: boolean;
}

const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function parseDeployBudget(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--budget must be a positive integer, not '${text}'`);
  if (n > MAX_PROGRAM_BUDGET) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--budget ${n} is over the maximum of ${MAX_PROGRAM_BUDGET} instructions per run (edges refuse such records)`);
  return n;
}

/**
 * `flowshield deploy PROG.o --tenant T`: verifies the program here, with the loader and verifier
 * every edge runs, so a bad program never reaches an edge; then writes the next version of the
 * tenant's record into the programs bucket, which every edge watches.
 */
export function registerDeploy(program: Command): void {
  addServerOption(addSigningKeyOption(
    program
      .command('deploy')
      .description(`verify a program and make it the tenant's live version on every edge (NATS KV bucket ${PROGRAMS_BUCKET})`)
      .argument('<program>', 'eBPF object file (clang -target bpf -O2 -g -c)')
      .option('--tenant <name>', 'tenant to deploy for (required)')
      .option('--name <name>', 'deploy a socket filter that the tenant\'s rules call as bpf("name") (key named.<tenant>.<name>) instead of the tenant\'s program')
      .option('--section <name>', 'program section to load (default: the only one)')
      .option('--type <type>', `program type, checked against the one the section name selects: ${PROGRAM_TYPE_NAMES.join(', ')}`)
      .option('--fail-verdict <verdict>', 'verdict when the program faults or returns an undefined value: pass or drop', 'drop')
      .option('--monitoring', 'a dry run: run the program and count what it would do, but pass every packet and send, write or publish nothing')
      .option('--budget <n>', `per-run instruction budget, at most ${MAX_PROGRAM_BUDGET}`, String(DEFAULT_PROGRAM_BUDGET))
      .option('--deployed-by <who>', 'recorded as the deployer (env FLOWSHIELD_DEPLOYED_BY, default user@host)', defaultDeployer())
      .option('--json', 'print {"tenant","version","sha256","instructions"}'),
  )).action(async (path: string, opts: DeployOptions) => {
    const tenant = checkTenant(opts.tenant);
    if (opts.failVerdict !== 'pass' && opts.failVerdict !== 'drop') throw new CliError('FS_ERR_CLI_BAD_OPTION', '--fail-verdict must be pass or drop');
    const budget = parseDeployBudget(opts.budget);
    const signer = readSigningKey(opts.signingKey);
    const name = opts.name;
    if (name !== undefined && !isProgramName(name)) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--name must be 1-64 of A-Z a-z 0-9 _ -, not ${JSON.stringify(name)}`);
    // nftables says socket filter; the program type is `socket` (SEC("socket"))
    if (opts.type === 'socket_filter') opts.type = 'socket';

    if (opts.type !== undefined && !(PROGRAM_TYPE_NAMES as readonly string[]).includes(opts.type)) {
      throw new CliError('FS_ERR_CLI_BAD_OPTION', `--type must be one of ${PROGRAM_TYPE_NAMES.join(', ')}`);
    }

    const object = readInput(path);
    // Verified as the edges will load it: the type comes from the section name.
    const loaded = loadProgramFile(path, { section: opts.section, budget: String(budget) });
    const sha = sha256Hex(object);
    // The check above read the file again: make sure it verified the bytes being deployed.
    if (sha256Hex(readInput(path)) !== sha) throw new CliError('FS_ERR_CLI_READ', `${path} changed while it was being verified; deploy again`);
    // The record carries no type: edges take it from the section name, so --type may only confirm it.
    const sectionType = programTypeForSection(loaded.object.section).name;
    if (opts.type !== undefined && opts.type !== sectionType) {
      throw new CliError('FS_ERR_CLI_BAD_OPTION', `--type ${opts.type} differs from ${sectionType}, which section '${loaded.object.section}' selects on the edges; rename the section`);
    }
    if (name !== undefined && sectionType !== 'socket') {
      throw new CliError('FS_ERR_CLI_BAD_OPTION', `--name deploys a socket filter for bpf("${name}"), and section '${loaded.object.section}' is a ${sectionType} program (use SEC("socket"))`);
    }
    const key = name === undefined ? deploymentKey(tenant) : namedProgramKey(tenant, name);

    const { deployment } = await withNats(opts, async (nc) => {
      const kv = await openProgramsBucket(nc, opts.server);
      const sign = (d: Parameters<typeof signDeployment>[0]) => (name === undefined ? signDeployment(d, signer) : signNamedProgram(d, name, signer));
      return publishDeployment(kv, tenant, (history) => sign({
        tenant,
        version: highestVersion(history) + 1,
        object,
        sha256: sha,
        section: opts.section ?? '',
        failVerdict: opts.failVerdict as FailVerdict,
        monitoring: opts.monitoring === true,
        budget,
        deployedAt: nextDeployedAt(history),
        deployedBy: opts.deployedBy,
        rolledBackFrom: null,
      }), nc.info?.max_payload, programStore(tenant, key));
    });

    const instructions = loaded.verified.instructionCount;
    if (opts.json) {
      io().stdout.write(`${JSON.stringify({ tenant, ...(name === undefined ? {} : { name }), version: deployment.version, sha256: sha, instructions })}\n`);
      return;
    }
    io().stdout.write(
      `deployed ${path} to ${key}: version ${deployment.version}, sha256 ${sha}\n`
      + `${instructions} instructions, type ${sectionType}, fail verdict ${deployment.failVerdict}${deployment.monitoring ? ', monitoring (a dry run: every packet passes)' : ''}\n`,
    );
  });
}
