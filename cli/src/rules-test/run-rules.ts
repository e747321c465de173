import { compileRules, parseRulesFile, Firewall, socketFilterHost, ViewRefusal, VIEW_REFUSAL_NAMES, type RuleCounter, type RuleSet } from '@flowshield/rules';
import { ProgramInstance, type LoadedProgram, type PacketMeta } from '@flowshield/vm';
import { packetInputs } from '../program-test/run-capture.js';
import { TestHost } from '../program-test/test-host.js';

/** One packet's outcome under the rules: the `rules test --json` line (issue 13's fixed interface). */
export interface RulesOutcome {
  index: number;
  matched: string[];
  action: string | null;
  rule: string | null;
  ignored: string | null;
}

export interface RulesSummary {
  packets: number;
  ignored: number;
  /** packets decided per action (block, allow, skip, run), and those no rule decided */
  actions: Record<string, number>;
  undecided: number;
  scope: string;
  /** the rule set's counters after the capture: packets and bytes per rule, mode and action */
  rules: RuleCounter[];
}

export interface RulesRunOptions {
  region?: string | null;
  datacenter?: string | null;
  /** socket-filter programs for bpf("name"), by name */
  bpf?: ReadonlyMap<string, LoadedProgram>;
}

/**
 * Compiles a rules file and runs it over a capture, packet by packet, as an edge in that
 * region and datacenter would. `bpf("name")` runs the named socket-filter program in the VM over
 * the packet from its IP header on (nftables xt_bpf); a nonzero return is a match, a fault is not.
 */
export function runRulesOverCapture(rulesText: string, capture: Uint8Array, options: RulesRunOptions = {}): { rules: RuleSet; outcomes: Generator<RulesOutcome> } {
  const host = new TestHost();
  const instances = new Map([...(options.bpf ?? new Map<string, LoadedProgram>())].map(([name, program]) => [name, new ProgramInstance(program, host)]));
  const context: { meta: PacketMeta | null; now: number } = { meta: null, now: 0 };
  const rules = compileRules(parseRulesFile(rulesText), { region: options.region, datacenter: options.datacenter, bpf: socketFilterHost(instances, context) });
  const unknown = rules.references.bpf.filter((n) => !instances.has(n));
  if (unknown.length > 0) throw new Error(`the rules call ${unknown.map((n) => `bpf("${n}")`).join(', ')}: give each program with --bpf NAME=PROG.o`);
  // The edge's firewall step, over each packet of the capture.
  const firewall = new Firewall();
  firewall.swap(rules);
  function* outcomes(): Generator<RulesOutcome> {
    for (const input of packetInputs(capture)) {
      const index = input.record.index;
      if (input.ignored !== null) {
        yield { index, matched: [], action: null, rule: null, ignored: input.ignored };
        continue;
      }
      context.meta = input.meta;
      context.now = input.now;
      host.now = input.now;
      firewall.step(input.ip, 0, input.ip.length);
      if (firewall.refusal !== ViewRefusal.NONE) {
        yield { index, matched: [], action: null, rule: null, ignored: VIEW_REFUSAL_NAMES[firewall.refusal] };
        continue;
      }
      yield { index, ...firewall.outcome(), ignored: null };
    }
  }
  return { rules, outcomes: outcomes() };
}

export function summarizeRules(rules: RuleSet, outcomes: readonly RulesOutcome[]): RulesSummary {
  const actions: Record<string, number> = { block: 0, allow: 0, skip: 0, run: 0 };
  let ignored = 0;
  let undecided = 0;
  for (const o of outcomes) {
    if (o.ignored !== null) ignored++;
    else if (o.action === null) undecided++;
    else actions[o.action]!++;
  }
  return { packets: outcomes.length, ignored, actions, undecided, scope: rules.scope, rules: rules.counters() };
}

export function rulesJson(o: RulesOutcome): Record<string, unknown> {
  return { index: o.index, matched: o.matched, action: o.action, rule: o.rule, ...(o.ignored !== null ? { ignored: o.ignored } : {}) };
}

export function rulesLine(o: RulesOutcome): string {
  const head = `#${String(o.index).padEnd(5)}`;
  if (o.ignored !== null) return `${head} ignored (${o.ignored})`;
  const decision = o.rule === null ? 'no decision' : `${o.action} by ${o.rule}`;
  return `${head} ${decision.padEnd(24)} matched: ${o.matched.length > 0 ? o.matched.join(', ') : '(none)'}`;
}

export function rulesSummaryLines(s: RulesSummary): string[] {
  const decided = Object.entries(s.actions).map(([a, n]) => `${n} ${a}`).join(', ');
  return [
    `${s.packets} packets (scope ${s.scope}): ${decided}, ${s.undecided} undecided, ${s.ignored} ignored (not IP/UDP)`,
    ...s.rules.map((c) => `  ${c.id.padEnd(24)} ${c.mode.padEnd(10)} ${c.action.padEnd(5)} ${c.packets} packets, ${c.bytes} bytes`),
  ];
}
