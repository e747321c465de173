import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import {
  LISTS_BUCKET, OperatorKeySet, RULES_BUCKET, RULES_HISTORY, checkRulesSignature, decodeRulesDeployment, encodeRulesDeployment, namedProgramKey,
  publicKeyToText, rulesKey, signRulesDeployment, type ListPin, type RulesDeployment,
} from '@flowshield/proto';
import { compileRules, isRulesError, parseRules, parseRulesFile, prefixListFromFile, ruleReferences, type PrefixList, type RulesFile } from '@flowshield/rules';
import { loadProgram } from '@flowshield/vm';
import { CliError } from '../errors.js';
import { io } from '../io.js';
import { iso } from './event-options.js';
import { readInput } from './load.js';
import { addServerOption, withNats, type NatsOptions } from './nats-connection.js';
import { addSigningKeyOption, readSigningKey } from './operator-key.js';
import {
  checkTenant, defaultDeployer, highestVersion, nextDeployedAt, openProgramsBucket, programStore, publishDeployment, readLiveDeployments, readTenantHistory,
  reportSkipped, type DeploymentRevision, type RecordStore,
} from './programs-bucket.js';
import { parseVersion, rollbackTarget } from './rollback.js';

/*
 * `flowshield rules deploy/rollback/ls`: versions of a tenant's rules in the fs-rules bucket, with
 * the programs bucket's history and conditional-write logic (programs-bucket.ts, given the rules
 * record's codec). A deploy checks everything an edge will need before it publishes: every
 * expression of every scope compiles, each list a rule names is inline or in fs-lists (pinned by
 * SHA-256 in the record), each bpf() program is deployed for the tenant as a socket filter.
 */

const rulesStore = (tenant: string): RecordStore<RulesDeployment> => ({ key: rulesKey(tenant), tenant, encode: encodeRulesDeployment, decode: decodeRulesDeployment });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface DeployOptions extends NatsOptions { tenant?: string; deployedBy: string; signingKey?: string; json?: boolean }

async function openRulesBucket(nc: NatsConnection, server: string): Promise<KV> {
  try {
    return await new Kvm(nc).create(RULES_BUCKET, { history: RULES_HISTORY });
  } catch (err) {
    throw new CliError('FS_ERR_CLI_NO_JETSTREAM', `cannot open the ${RULES_BUCKET} bucket on NATS at ${server}: ${(err as Error).message}`, { cause: err });
  }
}

const rulesError = (path: string, err: unknown): never => {
  if (isRulesError(err)) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
  throw err;
};

/** The lists the record pins: each one a rule names that the file does not carry inline, as it is in fs-lists now. */
async function fetchLists(nc: NatsConnection, names: readonly string[]): Promise<{ pins: ListPin[]; lists: Map<string, PrefixList> }> {
  const pins: ListPin[] = [];
  const lists = new Map<string, PrefixList>();
  if (names.length === 0) return { pins, lists };
  const store = await new Objm(nc).open(LISTS_BUCKET).catch((err: Error) => {
    throw new CliError('FS_ERR_CLI_NO_LIST', `the rules use ${names.map((n) => `$${n}`).join(', ')} and there is no ${LISTS_BUCKET} object store (${err.message}): flowshield lists put NAME FILE`);
  });
  for (const name of names) {
    const bytes = await store.getBlob(name);
    if (bytes === null) throw new CliError('FS_ERR_CLI_NO_LIST', `the rules use $${name}, which is neither inline nor in ${LISTS_BUCKET}: flowshield lists put ${name} FILE`);
    let list: PrefixList;
    try {
      list = prefixListFromFile(bytes);
    } catch (err) {
      throw new CliError('FS_ERR_CLI_BAD_LIST', `list ${name} in ${LISTS_BUCKET} is not a valid list object: ${(err as Error).message}`, { cause: err });
    }
    pins.push({ name, sha256: sha256(bytes), prefixes: list.size });
    lists.set(name, list);
  }
  return { pins, lists };
}

/** Each bpf() name must be a socket filter deployed for the tenant (`deploy PROG.o --tenant T --name NAME`). */
async function checkFilters(nc: NatsConnection, server: string, tenant: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const kv = await openProgramsBucket(nc, server);
  for (const name of names) {
    const key = namedProgramKey(tenant, name);
    const live = (await readTenantHistory(kv, tenant, programStore(tenant, key))).live;
    if (live === null) throw new CliError('FS_ERR_CLI_NO_PROGRAM', `the rules call bpf("${name}") and no program is deployed as ${key}: flowshield deploy PROG.o --tenant ${tenant} --name ${name}`);
    const d = live.deployment;
    let type: string;
    try {
      type = loadProgram(d.object, { section: d.section || undefined, budget: d.budget }).type.name;
    } catch (err) {
      throw new CliError('FS_ERR_CLI_BAD_PROGRAM', `bpf("${name}"): ${key} does not load: ${(err as Error).message}`, { cause: err });
    }
    if (type !== 'socket') throw new CliError('FS_ERR_CLI_BAD_PROGRAM', `bpf("${name}"): ${key} is a ${type} program, not a socket filter`);
  }
}

/** Compiles the file for every scope it has (each as the edges there will), so no scope reaches an edge broken. */
function compileEveryScope(path: string, file: RulesFile, lists: ReadonlyMap<string, PrefixList>): void {
  const scopes = new Set(file.rules.map((r) => r.scope));
  try {
    for (const scope of scopes) {
      const [kind, code] = scope.split(':');
      compileRules(file, { lists, bpf: () => 0, region: kind === 'region' ? code : null, datacenter: kind === 'datacenter' ? code : null });
    }
  } catch (err) {
    rulesError(path, err);
  }
}

function recordJson(r: DeploymentRevision<RulesDeployment>, live: boolean): Record<string, unknown> {
  const d = r.deployment;
  let rules: number | null = null;
  try {
    rules = parseRulesFile(d.rules).rules.length;
  } catch {
    // shown as null: the record decodes but its file does not (an edge refuses it)
  }
  return {
    tenant: d.tenant, version: d.version, sha256: d.sha256, rules, lists: d.lists, deployedAt: iso(d.deployedAt), deployedBy: d.deployedBy,
    rolledBackFrom: d.rolledBackFrom, revision: r.revision, signedBy: d.signature === null ? null : publicKeyToText(d.signature.publicKey), live,
  };
}

export function registerRulesDeploy(rules: Command): void {
  addServerOption(addSigningKeyOption(rules.command('deploy')
    .description(`check a rules file (every expression, list and bpf() program) and make it the tenant's live rules on every edge (NATS KV bucket ${RULES_BUCKET})`)
    .argument('<rules>', 'rules file (JSON: {"lists": {...}, "rules": [...]})')
    .option('--tenant <name>', 'tenant (required)')
    .option('--deployed-by <who>', 'recorded as the deployer (env FLOWSHIELD_DEPLOYED_BY, default user@host)', defaultDeployer())
    .option('--json', 'print {"tenant","version","sha256","rules","lists","bpf"}')))
    .action(async (path: string, opts: DeployOptions) => {
      const tenant = checkTenant(opts.tenant);
      const signer = readSigningKey(opts.signingKey);
      const bytes = readInput(path);
      const text = new TextDecoder().decode(bytes);
      let file: RulesFile;
      let references: ReturnType<typeof ruleReferences>;
      try {
        file = parseRulesFile(text);
        references = ruleReferences(file, parseRules(file));
      } catch (err) {
        return rulesError(path, err);
      }
      const named = file.rules.find((r) => r.action === 'run' && r.program !== null && r.mode !== 'disabled');
      if (named) throw new CliError('FS_ERR_CLI_UNSUPPORTED', `${path}: rule ${JSON.stringify(named.id)} runs program ${JSON.stringify(named.program)}; edges run only the tenant's program for run (leave out "program")`);
      const external = references.lists.filter((n) => file.lists[n] === undefined);
      const { deployment } = await withNats(opts, async (nc) => {
        const { pins, lists } = await fetchLists(nc, external);
        await checkFilters(nc, opts.server!, tenant, references.bpf);
        compileEveryScope(path, file, lists);
        const kv = await openRulesBucket(nc, opts.server!);
        return publishDeployment(kv, tenant, (h) => signRulesDeployment({
          tenant, version: highestVersion(h) + 1, rules: text, sha256: sha256(bytes), lists: pins,
          deployedAt: nextDeployedAt(h), deployedBy: opts.deployedBy, rolledBackFrom: null,
        }, signer), nc.info?.max_payload, rulesStore(tenant));
      });
      const out = { tenant, version: deployment.version, sha256: deployment.sha256, rules: file.rules.length, lists: deployment.lists, bpf: references.bpf };
      if (opts.json) {
        io().stdout.write(`${JSON.stringify(out)}\n`);
        return;
      }
      const pinned = deployment.lists.map((l) => `$${l.name} (${l.prefixes} prefixes, sha256 ${l.sha256.slice(0, 12)})`).join(', ');
      io().stdout.write(`deployed ${path} to ${rulesKey(tenant)}: version ${deployment.version}, ${file.rules.length} rules, sha256 ${deployment.sha256}${pinned ? `\nlists: ${pinned}` : ''}${references.bpf.length ? `\nbpf: ${references.bpf.join(', ')}` : ''}\n`);
    });

  addServerOption(addSigningKeyOption(rules.command('rollback')
    .description(`make an earlier rules version live again on every edge (from the history of ${RULES_BUCKET})`)
    .option('--tenant <name>', 'tenant (required)')
    .option('--to <version>', 'version to make live (default: the highest version below the live one)')
    .option('--deployed-by <who>', 'recorded as the deployer (env FLOWSHIELD_DEPLOYED_BY, default user@host)', defaultDeployer())
    .option('--json', 'print {"tenant","version","sha256","rolledBackFrom"}')))
    .action(async (opts: DeployOptions & { to?: string }) => {
      const tenant = checkTenant(opts.tenant);
      const to = opts.to === undefined ? undefined : parseVersion(opts.to);
      const signer = readSigningKey(opts.signingKey);
      const { deployment, history } = await withNats(opts, async (nc) => {
        const kv = await openRulesBucket(nc, opts.server!);
        // The target as it was signed, and its lists as they were: edges refuse a pin that no longer matches.
        const probe = rollbackTarget(await readTenantHistory(kv, tenant, rulesStore(tenant)), to, 'rules');
        if (checkRulesSignature(probe, new OperatorKeySet([signer.publicKey])) !== 'ok') {
          throw new CliError('FS_ERR_CLI_UNTRUSTED_RECORD', `rules version ${probe.version} of tenant ${tenant} is not signed by this operator key; deploy the file again instead`);
        }
        const { pins } = await fetchLists(nc, probe.lists.map((l) => l.name));
        for (const pin of probe.lists) {
          if (pins.find((p) => p.name === pin.name)!.sha256 !== pin.sha256) {
            throw new CliError('FS_ERR_CLI_LIST_CHANGED', `rules version ${probe.version} pins list ${pin.name} at sha256 ${pin.sha256.slice(0, 12)}, and ${LISTS_BUCKET} now holds another: put that list back or deploy the file again`);
          }
        }
        return publishDeployment(kv, tenant, (h) => signRulesDeployment({
          ...rollbackTarget(h, to, 'rules'), deployedAt: nextDeployedAt(h), deployedBy: opts.deployedBy, rolledBackFrom: h.live?.deployment.version ?? null,
        }, signer), nc.info?.max_payload, rulesStore(tenant));
      });
      reportSkipped(history.skipped);
      const { version, sha256: sha, rolledBackFrom } = deployment;
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ tenant, version, sha256: sha, rolledBackFrom })}\n`);
        return;
      }
      io().stdout.write(`rolled back the rules of tenant ${tenant}${rolledBackFrom === null ? '' : ` from version ${rolledBackFrom}`} to version ${version}, sha256 ${sha}\n`);
    });

  addServerOption(rules.command('ls')
    .description(`each tenant's live rules version, or with --tenant every kept version of one (${RULES_BUCKET})`)
    .option('--tenant <name>', 'only this tenant, with its history')
    .option('--json', 'print {"rules":[{"tenant","version","sha256","rules","lists","deployedAt","deployedBy","rolledBackFrom","revision","signedBy","live"}],"skipped":[…]}'))
    .action(async (opts: NatsOptions & { tenant?: string; json?: boolean }) => {
      const tenant = opts.tenant === undefined ? undefined : checkTenant(opts.tenant);
      const { rows, skipped } = await withNats(opts, async (nc) => {
        const kv = await openRulesBucket(nc, opts.server!);
        if (tenant === undefined) {
          const { live, skipped: bad } = await readLiveDeployments(kv, rulesStore);
          return { rows: live.map((r) => recordJson(r, true)), skipped: bad };
        }
        const h = await readTenantHistory(kv, tenant, rulesStore(tenant));
        return { rows: h.revisions.map((r) => recordJson(r, r === h.live)), skipped: h.skipped };
      });
      reportSkipped(skipped);
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ rules: rows, skipped })}\n`);
        return;
      }
      if (rows.length === 0) {
        io().stdout.write(tenant === undefined ? 'no rules deployed\n' : `tenant ${tenant} has no rules deployed\n`);
        return;
      }
      for (const r of rows) {
        const lists = (r.lists as ListPin[]).map((l) => `$${l.name}`).join(' ');
        io().stdout.write(`${String(r.tenant).padEnd(16)} v${String(r.version).padEnd(4)} ${String(r.sha256).slice(0, 12)}  ${String(r.rules ?? '?').padStart(4)} rules  ${r.deployedAt}  ${r.deployedBy}${r.rolledBackFrom === null ? '' : `  rollback from v${r.rolledBackFrom}`}${lists ? `  ${lists}` : ''}${r.live && tenant !== undefined ? '  *' : ''}\n`);
      }
    });
}
