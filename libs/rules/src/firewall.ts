import type { BpfHost } from './compile.js';
import { PacketView, ViewRefusal } from './packet-view.js';
import type { RuleSet } from './rule-set.js';

/**
 * What the firewall decided for a packet: the packet path's next step.
 *   PROGRAM: run the tenant's program (a `skip` or `run` rule, no decision, or no rules);
 *   DROP:    a `block` rule: dropped, the program does not run;
 *   PASS:    an `allow` rule: to the origin, the program does not run.
 * `log` and monitoring rules never decide (they are counted in the rule set).
 */
export const FirewallStep = { PROGRAM: 0, DROP: 1, PASS: 2 } as const;
export type FirewallStep = (typeof FirewallStep)[keyof typeof FirewallStep];

const STEP_OF_ACTION: Readonly<Record<string, FirewallStep>> = { block: FirewallStep.DROP, allow: FirewallStep.PASS, skip: FirewallStep.PROGRAM, run: FirewallStep.PROGRAM, log: FirewallStep.PROGRAM };

/**
 * The decision step both the edge and `flowshield test` run (DESIGN.md section 10: parse →
 * tenant → rules → program → verdict → act), so a verdict in a test is the verdict live. One per
 * packet thread and tenant: it keeps one PacketView and reloads it for every packet, so a packet
 * costs no allocation. `swap` replaces the rule set between two batches and carries the
 * counters over (RuleSet.adoptCounters).
 */
export class Firewall {
  readonly view = new PacketView();
  private current: RuleSet | null = null;
  private steps: Uint8Array = new Uint8Array(0);
  /** the index in `rules.rules` of the rule that decided the last packet, or -1 */
  decided = -1;
  /** why the last packet was not read by the rules (ViewRefusal.NONE when it was) */
  refusal: ViewRefusal = ViewRefusal.NONE;

  get rules(): RuleSet | null {
    return this.current;
  }

  /** Installs `next` (null: no rules), continuing the counters of the set it replaces. */
  swap(next: RuleSet | null): void {
    const previous = this.current;
    if (next !== null && previous !== null && next !== previous) next.adoptCounters(previous);
    this.steps = next === null ? new Uint8Array(0) : Uint8Array.from(next.rules, (r) => STEP_OF_ACTION[r.action]!);
    this.current = next;
  }

  /**
   * Runs the rules over the IP packet `bytes[offset, offset + length)`; `udpOffset` (the UDP
   * header's offset from the IP header, when the caller wrote the headers) skips the IPv6 walk.
   * A packet the rules cannot read (not UDP, a fragment, truncated) goes to the program, as it
   * would with no rules.
   */
  step(bytes: Uint8Array, offset: number, length: number, udpOffset = -1): FirewallStep {
    this.decided = -1;
    const rules = this.current;
    if (rules === null) return FirewallStep.PROGRAM;
    const refusal = this.view.load(bytes, offset, length, udpOffset);
    this.refusal = refusal;
    if (refusal !== ViewRefusal.NONE) {
      rules.matchedCount = 0;
      return FirewallStep.PROGRAM;
    }
    const decided = rules.evaluate(this.view);
    this.decided = decided;
    return decided < 0 ? FirewallStep.PROGRAM : (this.steps[decided]! as FirewallStep);
  }

  /** The last packet's outcome as `rules test` prints it (allocates: for tests and tools, not the edge's path). */
  outcome(): { matched: string[]; action: string | null; rule: string | null } {
    const rules = this.current;
    if (rules === null) return { matched: [], action: null, rule: null };
    const matched: string[] = [];
    for (let i = 0; i < rules.matchedCount; i++) matched.push(rules.rules[rules.matched[i]!]!.id);
    const rule = this.decided < 0 ? null : rules.rules[this.decided]!;
    return { matched, action: rule?.action ?? null, rule: rule?.id ?? null };
  }
}

/** A socket-filter program as the VM runs it (structurally a libs/vm ProgramInstance). */
export interface SocketFilter {
  run(ip: Uint8Array, meta: never, now: number): { fault: unknown; r0: bigint };
}

/**
 * `bpf("name")` over deployed socket-filter programs, as nftables' xt_bpf match runs them: the
 * program sees the packet from its IP header on; a nonzero return is a match, a fault is not.
 * `context` holds the packet's metadata and time, set by the caller before each evaluation.
 * (The VM takes the packet as its own view: one subarray per bpf() call.)
 */
export function socketFilterHost(filters: ReadonlyMap<string, SocketFilter>, context: { meta: unknown; now: number }): BpfHost {
  return (name, p) => {
    const filter = filters.get(name);
    if (filter === undefined) return 0;
    const result = filter.run(p.bytes.subarray(p.offset, p.offset + p.length), context.meta as never, context.now);
    return result.fault === null && result.r0 !== 0n ? 1 : 0;
  };
}
