import type { Command } from 'commander';
import { PROGRAMS_BUCKET, publicKeyToText } from '@flowshield/proto';
import { CliError } from '../errors.js';
import { addServerOption, iso, withNats } from './event-options.js';
import {
  checkTenant, openProgramsBucket, readLiveDeployments, readTenantHistory, reportSkipped, type DeploymentRevision,
} from './programs-bucket.js';
import { io } from '../io.js';

interface ProgramsOptions {
  tenant?: string;
  history?: boolean;
  server: string;
  json?: boolean;
}

/** A record as scripts read it: everything but the object bytes. */
function revisionToJson(r: DeploymentRevision): Record<string, unknown> {
  const d = r.deployment;
  return {
    tenant: d.tenant, version: d.version, sha256: d.sha256, section: d.section, failVerdict: d.failVerdict, monitoring: d.monitoring,
    budget: d.budget, deployedAt: iso(d.deployedAt), deployedBy: d.deployedBy, rolledBackFrom: d.rolledBackFrom, revision: r.revision,
    bytes: d.object.length, signedBy: d.signature === null ? null : publicKeyToText(d.signature.publicKey),
  };
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) io().stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
}

const cells = (r: DeploymentRevision): string[] => {
  const d = r.deployment;
  return [
    `v${d.version}`, d.sha256.slice(0, 12), iso(d.deployedAt), d.deployedBy, d.monitoring ? 'monitoring' : 'enforcing', d.failVerdict,
    d.rolledBackFrom === null ? '' : `rollback from v${d.rolledBackFrom}`,
  ];
};
const COLUMNS = ['VERSION', 'SHA256', 'DEPLOYED AT', 'DEPLOYED BY', 'MODE', 'FAIL', 'NOTE'];

/**
 * `flowshield programs`: each tenant's live program version, or with `--history` every revision
 * of one tenant. Records that cannot be decoded are reported on stderr and skipped.
 */
export function registerPrograms(program: Command): void {
  addServerOption(
    program
      .command('programs')
      .description(`list the live program version of each tenant, or one tenant's history (NATS KV bucket ${PROGRAMS_BUCKET})`)
      .option('--tenant <name>', 'only this tenant')
      .option('--history', "list every kept revision of the tenant's record (needs --tenant)")
      .option('--json', 'print one JSON object: {"programs":[…],"skipped":[…]}, or with --history {"tenant","revisions":[…],"skipped":[…]}'),
  ).action(async (opts: ProgramsOptions) => {
    const tenant = opts.tenant === undefined ? undefined : checkTenant(opts.tenant);
    if (opts.history) {
      if (tenant === undefined) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--history needs --tenant');
      await showHistory(opts, tenant);
      return;
    }
    const { live, skipped } = await withNats(opts, async (nc) => readLiveDeployments(await openProgramsBucket(nc, opts.server)));
    const shown = tenant === undefined ? live : live.filter((r) => r.deployment.tenant === tenant);
    const shownSkipped = tenant === undefined ? skipped : skipped.filter((s) => s.key === `tenant.${tenant}`);
    if (opts.json) {
      reportSkipped(shownSkipped);
      io().stdout.write(`${JSON.stringify({ programs: shown.map(revisionToJson), skipped: shownSkipped })}\n`);
      return;
    }
    if (tenant !== undefined && shown.length === 0) {
      const bad = shownSkipped[0];
      if (bad) throw new CliError('FS_ERR_CLI_MALFORMED_RECORD', `tenant ${tenant} has no readable live version: revision ${bad.revision} is malformed: ${bad.reason}`);
      throw new CliError('FS_ERR_CLI_NOT_DEPLOYED', `tenant ${tenant} has no program deployed`);
    }
    reportSkipped(shownSkipped);
    if (shown.length === 0) {
      io().stdout.write('no programs deployed\n');
      return;
    }
    printTable(['TENANT', ...COLUMNS], shown.map((r) => [r.deployment.tenant, ...cells(r)]));
  });
}

async function showHistory(opts: ProgramsOptions, tenant: string): Promise<void> {
  const history = await withNats(opts, async (nc) => readTenantHistory(await openProgramsBucket(nc, opts.server), tenant));
  reportSkipped(history.skipped);
  if (opts.json) {
    io().stdout.write(`${JSON.stringify({
      tenant,
      live: history.live === null ? null : history.live.deployment.version,
      revisions: history.revisions.map((r) => ({ ...revisionToJson(r), live: r === history.live })),
      skipped: history.skipped,
    })}\n`);
    return;
  }
  if (history.lastRevision === 0) throw new CliError('FS_ERR_CLI_NOT_DEPLOYED', `tenant ${tenant} has no program deployed`);
  printTable(['REVISION', ...COLUMNS, 'LIVE'], history.revisions.map((r) => [String(r.revision), ...cells(r), r === history.live ? '*' : '']));
  if (history.live === null) io().stdout.write(`no live version: ${history.liveProblem}\n`);
}
