import { createHash } from 'node:crypto';
import { loadProgram, ProgramInstance, VmErrorCode, type BatchPacket, type RunEffects, type VmFault, type Verdict } from '@flowshield/vm';
import type { TenantDeployment } from '@flowshield/proto';
import type { EdgeHost } from './edge-host.js';

export type EdgeVerdict = 'pass' | 'drop';

/** Per-tenant counters, read by the metrics collector at scrape time (no per-packet label lookups). */
export class TenantStats {
  readonly packets = { pass: 0, drop: 0 };
  readonly bytes = { pass: 0, drop: 0 };
  /** what the program decided while in monitoring mode (every packet then passes) */
  readonly monitored = { pass: 0, drop: 0 };
  readonly programErrors = new Map<string, number>();
  budgetExhausted = 0;
  noProgram = 0;
  challengesSent = 0;
  answersAccepted = 0;
  repliesSent = 0;
  readonly tokens = { accepted: 0, rejected: 0 };
  swaps = { ok: 0, refused: 0 };
}

/** The edge's decision for each packet of a batch, and what the program asked for besides. */
export interface BatchOutcome {
  verdicts: EdgeVerdict[];
  /** per packet: challenge, reply, status change … or null when the run had none */
  effects: (RunEffects | null)[];
}

/**
 * One tenant's program on this edge. A new deployment is loaded and verified beside the running
 * one and swapped in as a whole between packets; a deployment that fails to load is refused and
 * the last good program keeps running. State lives outside the program instance, so it survives.
 */
export class TenantRuntime {
  deployment: TenantDeployment | null = null;
  private instance: ProgramInstance | null = null;
  readonly stats = new TenantStats();
  lastRefusal: string | null = null;

  constructor(
    readonly tenant: string,
    readonly host: EdgeHost,
    private readonly failVerdictWithoutProgram: EdgeVerdict,
    private readonly engine: 'wasm' | 'interp',
  ) {}

  get version(): number {
    return this.deployment?.version ?? 0;
  }

  /** Loads, verifies and swaps in a deployment; returns null, or why it was refused. */
  apply(deployment: TenantDeployment): string | null {
    if (this.deployment && deployment.version === this.deployment.version && deployment.sha256 === this.deployment.sha256 && deployment.monitoring === this.deployment.monitoring && deployment.failVerdict === this.deployment.failVerdict) {
      return null; // already running
    }
    try {
      const sha = createHash('sha256').update(deployment.object).digest('hex');
      if (sha !== deployment.sha256) throw new Error(`object checksum ${sha.slice(0, 12)} does not match the record's ${deployment.sha256.slice(0, 12)}`);
      const program = loadProgram(deployment.object, { section: deployment.section || undefined, budget: deployment.budget });
      const instance = new ProgramInstance(program, this.host, { engine: this.engine });
      // The swap: assignments in one synchronous step, so no packet sees a mix.
      this.instance = instance;
      this.deployment = deployment;
      this.host.state.programVersion = deployment.version;
      this.stats.swaps.ok++;
      this.lastRefusal = null;
      return null;
    } catch (err) {
      this.stats.swaps.refused++;
      this.lastRefusal = (err as Error).message;
      return this.lastRefusal;
    }
  }

  /**
   * Runs the program over the packets waiting (one call into the engine); a fault or undefined
   * return takes the deployment's fail verdict, and monitoring mode passes everything.
   */
  runBatch(packets: readonly BatchPacket[], now: number): BatchOutcome {
    const outcome = this.outcome;
    outcome.verdicts.length = packets.length;
    const instance = this.instance;
    const deployment = this.deployment;
    if (!instance || !deployment) {
      this.stats.noProgram += packets.length;
      outcome.verdicts.fill(this.failVerdictWithoutProgram);
      outcome.effects = new Array(packets.length).fill(null);
      return outcome;
    }
    const result = instance.runBatch(packets, now);
    outcome.effects = result.effects;
    for (let i = 0; i < packets.length; i++) {
      outcome.verdicts[i] = this.decide(result.verdicts[i]!, result.faults[i]!, deployment);
    }
    return outcome;
  }

  private readonly outcome: BatchOutcome = { verdicts: [], effects: [] };

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
