import { createHash } from 'node:crypto';
import { loadProgram, ProgramInstance, seedCompiled, VmErrorCode, type CompiledProgram, type BatchPacket, type RunEffects, type VmFault, type Verdict } from '@flowshield/vm';
import { checkDeploymentSignature, type OperatorKeySet, type TenantDeployment } from '@flowshield/proto';
import { AnalyticsTags } from './analytics-tags.js';
import type { CpuShare } from './cpu-share.js';
import type { EdgeHost } from './edge-host.js';

export type EdgeVerdict = 'pass' | 'drop';

/** What happened to a deployment this edge was given (the `result` label of fs_edge_program_swaps_total). */
export type SwapResult = 'applied' | 'refused' | 'unsigned' | 'bad_signature' | 'over_budget' | 'stale';
export const SWAP_RESULTS: readonly SwapResult[] = ['applied', 'refused', 'unsigned', 'bad_signature', 'over_budget', 'stale'];

/** What a program in monitoring mode would have done (the `would` label of fs_edge_monitored_total). */
export type MonitoredAction = 'pass' | 'drop' | 'challenge' | 'reply' | 'set_status';
export const MONITORED_ACTIONS: readonly MonitoredAction[] = ['pass', 'drop', 'challenge', 'reply', 'set_status'];

/** Per-tenant counters, read by the metrics collector at scrape time (no per-packet label lookups). */
export class TenantStats {
  readonly packets = { pass: 0, drop: 0 };
  readonly bytes = { pass: 0, drop: 0 };
  /** what the program would have done while in monitoring mode (every packet then passes, nothing is sent or written) */
  readonly monitored: Record<MonitoredAction, number> = { pass: 0, drop: 0, challenge: 0, reply: 0, set_status: 0 };
  readonly programErrors = new Map<string, number>();
  budgetExhausted = 0;
  noProgram = 0;
  /** packets that took the fail verdict unrun because the tenant was over its CPU share */
  shed = 0;
  challengesSent = 0;
  answersAccepted = 0;
  repliesSent = 0;
  readonly tokens = { accepted: 0, rejected: 0, rateLimited: 0 };
  readonly swaps: Record<SwapResult, number> = { applied: 0, refused: 0, unsigned: 0, bad_signature: 0, over_budget: 0, stale: 0 };
  /** packets per network-analytics tag (helper 18) */
  readonly analyticsTags = new AnalyticsTags();
}

/** The edge's decision for each packet of a batch, and what the program asked for besides. */
export interface BatchOutcome {
  verdicts: EdgeVerdict[];
  /** per packet: challenge, reply, status change … or null when the run had none */
  effects: (RunEffects | null)[];
  /** the tenant was over its CPU share: nothing ran */
  shed: boolean;
}

export interface TenantRuntimeOptions {
  /** verdict while no program is deployed */
  failVerdictWithoutProgram: EdgeVerdict;
  engine: 'wasm' | 'interp';
  /** operator keys a deployment must be signed by */
  operatorKeys: OperatorKeySet;
  /** the highest budget a record may carry on this edge */
  maxBudget: number;
  cpu: CpuShare;
}

/**
 * One tenant's program on this edge. A new deployment is checked (operator signature, budget cap),
 * loaded and verified beside the running one and swapped in as a whole between packets; a
 * deployment refused at any step leaves the last good program running. State lives outside the
 * program instance, so it survives. A monitored deployment runs against a dry-run host.
 */
export class TenantRuntime {
  deployment: TenantDeployment | null = null;
  private instance: ProgramInstance | null = null;
  readonly stats = new TenantStats();
  lastRefusal: string | null = null;

  constructor(
    readonly tenant: string,
    readonly host: EdgeHost,
    private readonly options: TenantRuntimeOptions,
  ) {}

  get version(): number {
    return this.deployment?.version ?? 0;
  }

  /** The running program's compiled module (wasm engine), for packet workers to instantiate. */
  get compiled(): CompiledProgram | null {
    return this.instance?.compiledProgram ?? null;
  }

  /**
   * Checks, loads, verifies and swaps in a deployment; returns null, or why it was refused.
   * `compiled`: the module the main thread compiled from this very record (packet workers), so
   * this thread skips binaryen and the WebAssembly compile.
   */
  apply(deployment: TenantDeployment, compiled?: CompiledProgram | null): { result: SwapResult; reason: string } | null {
    const refuse = (result: SwapResult, reason: string) => {
      this.stats.swaps[result]++;
      this.lastRefusal = reason;
      return { result, reason };
    };
    // Trust first: nothing of an unsigned or forged record is acted on, not even "already running".
    const trust = checkDeploymentSignature(deployment, this.options.operatorKeys);
    if (trust === 'unsigned') return refuse('unsigned', 'the record is not signed by an operator key');
    if (trust === 'bad_signature') {
      return refuse('bad_signature', this.options.operatorKeys.size === 0
        ? 'this edge has no operatorKeys configured'
        : 'the signature is not by a configured operator key, or does not match the record');
    }
    if (deployment.budget > this.options.maxBudget) return refuse('over_budget', `budget ${deployment.budget} is over this edge's cap of ${this.options.maxBudget}`);
    const running = this.deployment;
    if (running && deployment.version === running.version && deployment.sha256 === running.sha256 && deployment.monitoring === running.monitoring
      && deployment.failVerdict === running.failVerdict && deployment.budget === running.budget) {
      return null; // already running
    }
    // An old signed record written back into the bucket (a downgrade, say to a monitoring-only
    // version) is refused: `deploy` and `rollback` always write a deployedAt above every earlier one.
    if (running && deployment.deployedAt <= running.deployedAt) {
      return refuse('stale', `deployedAt ${deployment.deployedAt} is not after the running version's ${running.deployedAt} (an old record written again?)`);
    }
    try {
      const sha = createHash('sha256').update(deployment.object).digest('hex');
      if (sha !== deployment.sha256) throw new Error(`object checksum ${sha.slice(0, 12)} does not match the record's ${deployment.sha256.slice(0, 12)}`);
      const program = loadProgram(deployment.object, { section: deployment.section || undefined, budget: deployment.budget });
      if (compiled && this.options.engine === 'wasm') seedCompiled(program, compiled);
      const env = deployment.monitoring ? this.host.dryRun() : this.host;
      // The edge writes each packet's IP header from the source it names in the metadata, as the status cache needs.
      const instance = new ProgramInstance(program, env, { engine: this.options.engine, statusCache: true });
      // The swap: assignments in one synchronous step, so no packet sees a mix.
      this.instance = instance;
      this.deployment = deployment;
      this.host.state.programVersion = deployment.version;
      this.stats.swaps.applied++;
      this.lastRefusal = null;
      return null;
    } catch (err) {
      return refuse('refused', (err as Error).message);
    }
  }

  /**
   * Runs the program over the packets waiting (one call into the engine), timed against the
   * tenant's CPU share; over its share, nothing runs and every packet takes the fail verdict.
   * A fault or undefined return takes the deployment's fail verdict; monitoring mode passes
   * everything and hands back no effects (what it would have done is counted instead).
   */
  runBatch(packets: readonly BatchPacket[], now: number): BatchOutcome {
    const outcome = this.outcome;
    outcome.verdicts.length = packets.length;
    outcome.shed = false;
    const instance = this.instance;
    const deployment = this.deployment;
    if (!instance || !deployment) {
      this.stats.noProgram += packets.length;
      outcome.verdicts.fill(this.options.failVerdictWithoutProgram);
      outcome.effects = this.noEffects(packets.length);
      return outcome;
    }
    const started = process.hrtime.bigint();
    if (!this.options.cpu.admit(started)) {
      this.stats.shed += packets.length;
      outcome.shed = true;
      outcome.verdicts.fill(deployment.monitoring ? 'pass' : deployment.failVerdict);
      outcome.effects = this.noEffects(packets.length);
      return outcome;
    }
    const result = instance.runBatch(packets, now);
    this.options.cpu.charge(process.hrtime.bigint() - started);
    for (let i = 0; i < packets.length; i++) {
      outcome.verdicts[i] = this.decide(result.verdicts[i]!, result.faults[i]!, deployment);
    }
    if (deployment.monitoring) {
      this.countMonitored(result.effects, packets.length);
      outcome.effects = this.noEffects(packets.length);
    } else {
      outcome.effects = result.effects;
    }
    return outcome;
  }

  private readonly outcome: BatchOutcome = { verdicts: [], effects: [], shed: false };
  private none: null[] = [];

  private noEffects(count: number): null[] {
    if (this.none.length !== count) this.none = new Array<null>(count).fill(null);
    return this.none;
  }

  private countMonitored(effects: readonly (RunEffects | null)[], count: number): void {
    const m = this.stats.monitored;
    for (let i = 0; i < count; i++) {
      const e = effects[i];
      if (!e) continue;
      if (e.challenge) m.challenge++;
      if (e.reply) m.reply++;
      if (e.statusChange) m.set_status++;
    }
  }

  private decide(verdict: Verdict, fault: VmFault | null, deployment: TenantDeployment): EdgeVerdict {
    let decided: EdgeVerdict;
    if (verdict === 'error') {
      const code = fault?.code ?? 'FS_ERR_EDGE_BAD_RETURN';
      this.stats.programErrors.set(code, (this.stats.programErrors.get(code) ?? 0) + 1);
      if (code === VmErrorCode.BUDGET_EXHAUSTED) this.stats.budgetExhausted++;
      decided = deployment.failVerdict;
    } else {
      decided = verdict;
    }
    if (deployment.monitoring) {
      this.stats.monitored[decided]++;
      return 'pass';
    }
    return decided;
  }
}
