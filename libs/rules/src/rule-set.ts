import { walk, type Expr } from './ast.js';
import { generateEvaluators, type ChunkEvaluator } from './codegen.js';
import { compileExpr, type BpfHost, type Predicate } from './compile.js';
import { ExpressionError, RulesError, RulesErrorCode } from './errors.js';
import type { PacketView } from './packet-view.js';
import { parseExpression, type ParserSettings } from './parser.js';
import { PrefixList } from './prefix-list.js';
import { selectScope, TERMINATING, type Action, type Mode, type RulesFile, type RuleSpec } from './rules-file.js';

export interface CompiledRule extends RuleSpec {
  readonly predicate: Predicate;
  /** enabled and terminating: this rule can decide a packet */
  readonly decides: boolean;
}

/** One counter: packets and bytes (IP packet length) a rule matched, under the mode and action it had. */
export interface RuleCounter {
  readonly id: string;
  readonly mode: Mode;
  readonly action: Action;
  readonly packets: number;
  readonly bytes: number;
}

export interface CompileOptions {
  /** where this edge is: selects the scope */
  region?: string | null;
  datacenter?: string | null;
  /** lists from the object store, beside the file's inline lists (a name in both is an error) */
  lists?: ReadonlyMap<string, PrefixList>;
  /** runs `bpf("name")`; required when any rule of the selected scope uses bpf() */
  bpf?: BpfHost | null;
  settings?: Partial<ParserSettings>;
  /**
   * `generated` (default): the set compiled to straight-line JavaScript (codegen.ts);
   * `closures`: the reference back end, a closure per node (compile.ts). Same answers.
   */
  backend?: 'generated' | 'closures';
}

/** What the whole file references, over every scope: a deploy checks each exists before publishing. */
export interface RuleReferences {
  readonly lists: readonly string[];
  readonly bpf: readonly string[];
  readonly programs: readonly string[];
}

const counterKey = (id: string, mode: string, action: string) => `${id}\u0000${mode}\u0000${action}`;

/** Parses every expression of the file, all scopes and modes; throws one RulesError listing every bad rule. */
export function parseRules(file: RulesFile, settings?: Partial<ParserSettings>): Map<string, Expr> {
  const out = new Map<string, Expr>();
  const errors: string[] = [];
  file.rules.forEach((r, i) => {
    try {
      out.set(r.id, parseExpression(r.expression, settings));
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      errors.push(`rule ${JSON.stringify(r.id)} (rules[${i}].expression): ${err.message}`);
    }
  });
  if (errors.length > 0) throw new RulesError(RulesErrorCode.SYNTAX, errors.join('\n'));
  return out;
}

export function ruleReferences(file: RulesFile, exprs: ReadonlyMap<string, Expr>): RuleReferences {
  const lists = new Set<string>();
  const bpf = new Set<string>();
  for (const e of exprs.values()) {
    walk(e, (n) => {
      if (n.kind === 'bpf') bpf.add(n.name);
      if (n.kind === 'compare' && n.rhs.kind === 'list') lists.add(n.rhs.name);
    });
  }
  const programs = new Set(file.rules.flatMap((r) => (r.program ? [r.program] : [])));
  return { lists: [...lists].sort(), bpf: [...bpf].sort(), programs: [...programs].sort() };
}

/**
 * A tenant's rules, compiled once for one edge's scope. `evaluate` runs on the packet path:
 * every enabled and monitoring rule of the scope in order, each true one recorded in `matched`
 * and counted; the decision is the first true rule that is enabled and terminating (block, allow,
 * skip, run). Disabled rules are not compiled into the set at all.
 *
 * Counters belong to (rule id, mode, action) and are exact (doubles: exact to 2^53). On a swap,
 * `adoptCounters(previous)` continues every counter whose rule id is in the new file: a rule that
 * keeps its mode and action keeps counting from where it was; one whose mode or action changed
 * starts a new counter under its new labels, and its old counter is still reported, frozen; the
 * counters of ids the new file no longer has are dropped. Call it on the packet thread at the
 * moment of the swap, between two batches, so no packet is counted in neither.
 */
export class RuleSet {
  readonly rules: readonly CompiledRule[];
  /** indexes into `rules` of the rules the last packet matched, `matchedCount` of them */
  readonly matched: Int32Array;
  matchedCount = 0;
  /** packets (2i) and bytes (2i + 1) of rules[i] */
  private readonly counts: Float64Array;
  private retained = new Map<string, RuleCounter>();

  private readonly chunks: readonly ChunkEvaluator[] | null;

  constructor(readonly file: RulesFile, readonly scope: string, rules: readonly CompiledRule[], readonly references: RuleReferences, chunks: readonly ChunkEvaluator[] | null) {
    this.rules = rules;
    this.matched = new Int32Array(rules.length);
    this.counts = new Float64Array(rules.length * 2);
    this.chunks = chunks;
  }

  /** Runs the rules over a loaded PacketView; returns the index in `rules` of the deciding rule, or -1. */
  evaluate(p: PacketView): number {
    const chunks = this.chunks;
    if (chunks !== null) {
      this.matchedCount = 0;
      let decided = -1;
      for (let c = 0; c < chunks.length; c++) decided = chunks[c]!(p, this.counts, this.matched, this, decided);
      return decided;
    }
    return this.evaluateClosures(p);
  }

  private evaluateClosures(p: PacketView): number {
    const rules = this.rules;
    const counts = this.counts;
    const matched = this.matched;
    let n = 0;
    let decided = -1;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.predicate(p)) continue;
      matched[n++] = i;
      counts[2 * i]++;
      counts[2 * i + 1] += p.length;
      if (decided < 0 && r.decides) decided = i;
    }
    this.matchedCount = n;
    return decided;
  }

  /** Every counter: the live ones of this set's rules, then the frozen ones adopted from earlier versions. */
  counters(): RuleCounter[] {
    const live = this.rules.map((r, i) => ({ id: r.id, mode: r.mode, action: r.action, packets: this.counts[2 * i]!, bytes: this.counts[2 * i + 1]! }));
    return [...live, ...this.retained.values()];
  }

  adoptCounters(previous: RuleSet): void {
    const ids = new Set(this.file.rules.map((r) => r.id));
    const old = new Map(previous.counters().map((c) => [counterKey(c.id, c.mode, c.action), c]));
    this.rules.forEach((r, i) => {
      const key = counterKey(r.id, r.mode, r.action);
      const c = old.get(key);
      if (c) {
        this.counts[2 * i] += c.packets;
        this.counts[2 * i + 1] += c.bytes;
        old.delete(key);
      }
    });
    for (const [key, c] of old) if (ids.has(c.id)) this.retained.set(key, c);
  }
}

/**
 * Compiles a validated rules file for one edge: every expression is parsed and type-checked
 * (all scopes, so a deploy fails on any bad rule), then the selected scope's enabled and
 * monitoring rules are compiled to closures. Throws RulesError listing every problem found.
 */
export function compileRules(file: RulesFile, options: CompileOptions = {}): RuleSet {
  const exprs = parseRules(file, options.settings);
  const references = ruleReferences(file, exprs);
  const lists = new Map(options.lists ?? []);
  for (const [name, entries] of Object.entries(file.lists)) {
    if (lists.has(name)) throw new RulesError(RulesErrorCode.FILE, `lists.${name}: also given from outside the file`);
    lists.set(name, PrefixList.fromTexts(entries, `lists.${name}`));
  }
  const missing = references.lists.filter((n) => !lists.has(n));
  if (missing.length > 0) throw new RulesError(RulesErrorCode.UNKNOWN_LIST, `no list named ${missing.map((n) => `$${n}`).join(', ')}`);
  const scope = selectScope(file, options);
  const env = { lists, bpf: options.bpf ?? null };
  const errors: string[] = [];
  const rules: CompiledRule[] = [];
  const generated: { expr: Expr; input: string; decides: boolean }[] = [];
  file.rules.forEach((r, i) => {
    if (r.scope !== scope || r.mode === 'disabled') return;
    try {
      const expr = exprs.get(r.id)!;
      const predicate = compileExpr(expr, r.expression, env);
      const decides = r.mode === 'enabled' && TERMINATING.has(r.action);
      rules.push({ ...r, predicate, decides });
      generated.push({ expr, input: r.expression, decides });
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      errors.push(`rule ${JSON.stringify(r.id)} (rules[${i}].expression): ${err.message}`);
    }
  });
  if (errors.length > 0) throw new RulesError(RulesErrorCode.UNKNOWN_NAME, errors.join('\n'));
  const chunks = (options.backend ?? 'generated') === 'generated' ? generateEvaluators(generated, env) : null;
  return new RuleSet(file, scope, rules, references, chunks);
}
