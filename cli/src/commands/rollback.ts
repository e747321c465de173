import type { Command } from 'commander';
import { OperatorKeySet, PROGRAMS_BUCKET, checkDeploymentSignature, signDeployment, type OperatorSigner, type TenantDeployment } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { addServerOption, withNats } from './event-options.js';
import { addSigningKeyOption, readSigningKey } from './operator-key.js';
import { checkTenant, defaultDeployer, nextDeployedAt, openProgramsBucket, publishDeployment, reportSkipped, type TenantHistory, type VersionedRecord } from './programs-bucket.js';
import { io } from '../io.js';

interface RollbackOptions {
  tenant?: string;
  to?: string;
  deployedBy: string;
  signingKey?: string;
  server: string;
  json?: boolean;
}

export function parseVersion(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n <= 0) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--to must be a version number, not '${text}'`);
  return n;
}

/**
 * The record to make live again: version `to`, or else the highest version below the live one.
 * Going down, never back up, means repeated rollbacks walk back through the versions instead of
 * toggling between the last two (a second rollback must not bring back the program the first
 * one removed); `--to` goes anywhere in the kept history.
 */
export function rollbackTarget<R extends VersionedRecord = TenantDeployment>(history: TenantHistory<R>, to: number | undefined, what = 'program'): R {
  const { tenant, live } = history;
  if (history.lastRevision === 0) throw new CliError('FS_ERR_CLI_NOT_DEPLOYED', `tenant ${tenant} has no ${what} deployed`);
  const versions = [...new Set(history.revisions.map((r) => r.deployment.version))].sort((a, b) => a - b);
  if (to !== undefined) {
    if (live !== null && live.deployment.version === to) throw new CliError('FS_ERR_CLI_NOTHING_TO_ROLL_BACK', `version ${to} is already live for tenant ${tenant}`);
    // All records of one version carry the same program; take the newest.
    const found = history.revisions.findLast((r) => r.deployment.version === to);
    if (!found) throw new CliError('FS_ERR_CLI_VERSION_NOT_FOUND', `version ${to} of tenant ${tenant} is not in the kept history (have: ${versions.join(', ') || 'none'})`);
    return found.deployment;
  }
  if (live === null) throw new CliError('FS_ERR_CLI_NOTHING_TO_ROLL_BACK', `tenant ${tenant} has no readable live version (${history.liveProblem}); choose one with --to`);
  const previous = versions.filter((v) => v < live.deployment.version).at(-1);
  if (previous === undefined) {
    throw new CliError('FS_ERR_CLI_NOTHING_TO_ROLL_BACK', `nothing to roll back to: version ${live.deployment.version} is the oldest version of tenant ${tenant} in the kept history`);
  }
  return history.revisions.findLast((r) => r.deployment.version === previous)!.deployment;
}

/** The target, if this operator key signed it exactly as it is stored. */
function trustedTarget(target: TenantDeployment, signer: OperatorSigner): TenantDeployment {
  if (checkDeploymentSignature(target, new OperatorKeySet([signer.publicKey])) !== 'ok') {
    throw new CliError('FS_ERR_CLI_UNTRUSTED_RECORD', `version ${target.version} of tenant ${target.tenant} is ${target.signature === null ? 'not signed' : 'not signed by this operator key'}, so it may not be what was deployed; deploy the program again instead`);
  }
  return target;
}

/**
 * `flowshield rollback --tenant T [--to V]`: republishes an earlier version of the tenant's
 * program as the newest revision. It keeps its version number, so `programs` shows which program
 * is live, and records the version it replaced in `rolledBackFrom`.
 */
export function registerRollback(program: Command): void {
  addServerOption(addSigningKeyOption(
    program
      .command('rollback')
      .description(`make an earlier program version live again on every edge (from the history of NATS KV bucket ${PROGRAMS_BUCKET})`)
      .option('--tenant <name>', 'tenant to roll back (required)')
      .option('--to <version>', 'version to make live (default: the highest version below the live one)')
      .option('--deployed-by <who>', 'recorded as the deployer (env FLOWSHIELD_DEPLOYED_BY, default user@host)', defaultDeployer())
      .option('--json', 'print {"tenant","version","sha256","rolledBackFrom"}'),
  )).action(async (opts: RollbackOptions) => {
    const tenant = checkTenant(opts.tenant);
    const to = opts.to === undefined ? undefined : parseVersion(opts.to);
    const signer = readSigningKey(opts.signingKey);
    const { deployment, history } = await withNats(opts, async (nc) => {
      const kv = await openProgramsBucket(nc, opts.server);
      // Re-signed, since the republished record differs (deployedAt, deployedBy, rolledBackFrom);
      // so only a record this key signed is republished, never one anybody could have written.
      return publishDeployment(kv, tenant, (h) => signDeployment({
        ...trustedTarget(rollbackTarget(h, to), signer),
        deployedAt: nextDeployedAt(h),
        deployedBy: opts.deployedBy,
        rolledBackFrom: h.live?.deployment.version ?? null,
      }, signer));
    });
    reportSkipped(history.skipped);
    const { version, sha256, rolledBackFrom } = deployment;
    if (opts.json) {
      io().stdout.write(`${JSON.stringify({ tenant, version, sha256, rolledBackFrom })}\n`);
      return;
    }
    io().stdout.write(`rolled back tenant ${tenant}${rolledBackFrom === null ? '' : ` from version ${rolledBackFrom}`} to version ${version}, sha256 ${sha256}\n`);
  });
}
