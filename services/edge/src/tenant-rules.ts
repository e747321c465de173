import { createHash } from 'node:crypto';
import { loadProgram, ProgramInstance, seedCompiled, type CompiledProgram, type PacketMeta } from '@flowshield/vm';
import { checkNamedProgramSignature, checkRulesSignature, type OperatorKeySet, type RulesDeployment, type TenantDeployment } from '@flowshield/proto';
import { compileRules, Firewall, parseRulesFile, PrefixList, socketFilterHost, type BuiltPrefixList } from '@flowshield/rules';
import type { EdgeHost } from './edge-host.js';

/** What happened to a rules version this edge was given (`fs_edge_rules_swaps_total{result}`). */
export type RulesSwapResult = 'applied' | 'refused' | 'unsigned' | 'bad_signature' | 'stale';
export const RULES_SWAP_RESULTS: readonly RulesSwapResult[] = ['applied', 'refused', 'unsigned', 'bad_signature', 'stale'];

/**
 * A rules version with everything it needs fetched, as structured-clone data: the main thread
 * prepares it (NATS, the object store, list building, wasm compiles) and every packet worker
 * applies the same one.
 */
export interface PreparedRules {
  record: RulesDeployment;
  /** the lists the record pins, built once (PrefixList.toBuilt) */
  lists: { name: string; built: BuiltPrefixList }[];
  /** the socket-filter programs its bpf() calls name, with the module compiled for them (wasm) */
  filters: { name: string; deployment: TenantDeployment; compiled: CompiledProgram | null }[];
}

export interface TenantRulesOptions {
  operatorKeys: OperatorKeySet;
  engine: 'wasm' | 'interp';
  /** where this edge is: selects each file's scope */
  region: string;
  datacenter: string;
}

/**
 * One tenant's firewall on this thread. A version is checked (operator signature over the
 * record, the rules' SHA-256, not older than the running one), its socket filters loaded and
 * verified (signed under their name), its rules compiled for this edge's scope, and swapped in
 * whole, between two batches, keeping the counters (Firewall.swap → RuleSet.adoptCounters). A
 * version refused at any step leaves the running one in place.
 */
export class TenantRules {
  readonly firewall = new Firewall();
  record: RulesDeployment | null = null;
  readonly swaps: Record<RulesSwapResult, number> = { applied: 0, refused: 0, unsigned: 0, bad_signature: 0, stale: 0 };
  /** the running filters' compiled modules, for packet workers */
  compiled = new Map<string, CompiledProgram | null>();
  /** bpf() runs see this packet metadata and time (socket filters read the packet, not these) */
  private readonly bpfContext: { meta: PacketMeta | null; now: number } = { meta: null, now: 0 };

  constructor(readonly tenant: string, private readonly host: EdgeHost, private readonly options: TenantRulesOptions) {}

  get version(): number {
    return this.record?.version ?? 0;
  }

  /** The checks a record passes before anything is fetched for it; null or why it is refused. */
  check(record: RulesDeployment): { result: RulesSwapResult; reason: string } | null {
    if (record.tenant !== this.tenant) return { result: 'refused', reason: `record names tenant ${record.tenant}` };
    const trust = checkRulesSignature(record, this.options.operatorKeys);
    if (trust === 'unsigned') return { result: 'unsigned', reason: 'the record is not signed by an operator key' };
    if (trust === 'bad_signature') return { result: 'bad_signature', reason: 'the signature is not by a configured operator key, or does not match the record' };
    if (sha256(new TextEncoder().encode(record.rules)) !== record.sha256) return { result: 'refused', reason: 'the rules do not match the record\'s sha256' };
    const running = this.record;
    // The same record again (a filter it calls was redeployed) is a refresh; an older one is a replay.
    if (running && record.deployedAt < running.deployedAt) return { result: 'stale', reason: `deployedAt ${record.deployedAt} is before the running version's ${running.deployedAt}` };
    if (running && record.deployedAt === running.deployedAt && record.sha256 !== running.sha256) return { result: 'stale', reason: 'another record with the running version\'s deployedAt' };
    return null;
  }

  /** Loads, compiles and swaps in a prepared version; returns null, or why it was refused (and counts it). */
  apply(prepared: PreparedRules): { result: RulesSwapResult; reason: string } | null {
    const refuse = (result: RulesSwapResult, reason: string) => {
      this.swaps[result]++;
      return { result, reason };
    };
    const { record } = prepared;
    const checked = this.check(record);
    if (checked) return refuse(checked.result, checked.reason);
    try {
      const filters = new Map<string, ProgramInstance>();
      const compiled = new Map<string, CompiledProgram | null>();
      for (const f of prepared.filters) {
        const instance = this.loadFilter(f.name, f.deployment, f.compiled);
        filters.set(f.name, instance);
        compiled.set(f.name, instance.compiledProgram);
      }
      const lists = new Map(prepared.lists.map((l) => [l.name, PrefixList.fromBuilt(l.built)]));
      const rules = compileRules(parseRulesFile(record.rules), {
        region: this.options.region, datacenter: this.options.datacenter, lists, bpf: socketFilterHost(filters, this.bpfContext),
      });
      const missing = rules.references.bpf.filter((n) => !filters.has(n));
      if (missing.length > 0) throw new Error(`no socket-filter program deployed as ${missing.map((n) => `bpf("${n}")`).join(', ')}`);
      // The swap: one synchronous step between two batches; counters carry over.
      this.firewall.swap(rules);
      this.record = record;
      this.compiled = compiled;
      this.swaps.applied++;
      return null;
    } catch (err) {
      return refuse('refused', (err as Error).message);
    }
  }

  private loadFilter(name: string, d: TenantDeployment, compiled: CompiledProgram | null): ProgramInstance {
    if (d.tenant !== this.tenant) throw new Error(`bpf("${name}"): the program record names tenant ${d.tenant}`);
    const trust = checkNamedProgramSignature(d, name, this.options.operatorKeys);
    if (trust !== 'ok') throw new Error(`bpf("${name}"): the program record is ${trust === 'unsigned' ? 'not signed' : 'not signed by a configured operator key under this name'}`);
    if (sha256(d.object) !== d.sha256) throw new Error(`bpf("${name}"): the object does not match the record's sha256`);
    const program = loadProgram(d.object, { section: d.section || undefined, budget: d.budget });
    if (program.type.name !== 'socket') throw new Error(`bpf("${name}") is a ${program.type.name} program, not a socket filter`);
    if (compiled && this.options.engine === 'wasm') seedCompiled(program, compiled);
    return new ProgramInstance(program, this.host, { engine: this.options.engine });
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
