import { RulesError, RulesErrorCode } from './errors.js';

/*
 * The rules file (issue 13's fixed interface):
 *   {"lists": {"<name>": ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]},
 *    "rules": [{"id": "r1", "expression": "...", "action": "block", "mode": "enabled", "scope": "global"}]}
 * mode defaults to enabled, scope to global; a `run` rule may name its program in "program".
 */

export const ACTIONS = ['block', 'allow', 'skip', 'log', 'run'] as const;
export type Action = (typeof ACTIONS)[number];
export const MODES = ['enabled', 'monitoring', 'disabled'] as const;
export type Mode = (typeof MODES)[number];
/** Actions that decide a packet's fate; `log` counts and goes on. */
export const TERMINATING: ReadonlySet<Action> = new Set(['block', 'allow', 'skip', 'run']);

export interface RuleSpec {
  readonly id: string;
  readonly expression: string;
  readonly action: Action;
  readonly mode: Mode;
  /** `global`, `region:<code>` or `datacenter:<code>` */
  readonly scope: string;
  /** the program a `run` rule hands the packet to (null: the tenant's program); null for other actions */
  readonly program: string | null;
  readonly description: string | null;
}

export interface RulesFile {
  readonly lists: Readonly<Record<string, readonly string[]>>;
  readonly rules: readonly RuleSpec[];
}

export const RULE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
export const LIST_NAME = /^[a-z0-9_.]{1,64}$/;
export const PROGRAM_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SCOPE = /^(?:global|(?:region|datacenter):[A-Za-z0-9_-]{1,32})$/;
const RULE_KEYS = new Set(['id', 'expression', 'action', 'mode', 'scope', 'program', 'description']);
export const MAX_RULES = 10_000;

const bad = (path: string, reason: string) => new RulesError(RulesErrorCode.FILE, `${path}: ${reason}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a rules file (JSON text or the parsed value). Throws RulesError FILE naming the path
 * of the first problem (`rules[2].mode: …`). Unknown keys are refused: a misspelt "mdoe" must not
 * silently leave a rule enabled. Expressions are checked when the file is compiled.
 */
export function parseRulesFile(input: string | unknown): RulesFile {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (err) {
      throw new RulesError(RulesErrorCode.FILE, `rules file is not JSON: ${(err as Error).message}`);
    }
  }
  if (!isObject(value)) throw bad('(root)', 'must be an object with "rules" and optionally "lists"');
  for (const key of Object.keys(value)) if (key !== 'rules' && key !== 'lists') throw bad(key, 'unknown key; a rules file has "rules" and "lists"');
  const lists: Record<string, readonly string[]> = {};
  if (value.lists !== undefined) {
    if (!isObject(value.lists)) throw bad('lists', 'must be an object of list name → array of prefixes');
    for (const [name, entries] of Object.entries(value.lists)) {
      if (!LIST_NAME.test(name)) throw bad(`lists.${name}`, 'a list name is 1 to 64 lower-case letters, digits, _ or .');
      if (!Array.isArray(entries) || !entries.every((e) => typeof e === 'string')) throw bad(`lists.${name}`, 'must be an array of prefix strings');
      lists[name] = entries as string[];
    }
  }
  if (!Array.isArray(value.rules)) throw bad('rules', 'must be an array');
  if (value.rules.length > MAX_RULES) throw bad('rules', `at most ${MAX_RULES} rules`);
  const ids = new Set<string>();
  const rules = value.rules.map((r, i) => {
    const rule = parseRule(r, `rules[${i}]`);
    if (ids.has(rule.id)) throw bad(`rules[${i}].id`, `duplicate id ${JSON.stringify(rule.id)}`);
    ids.add(rule.id);
    return rule;
  });
  return { lists, rules };
}

function parseRule(r: unknown, path: string): RuleSpec {
  if (!isObject(r)) throw bad(path, 'must be an object');
  for (const key of Object.keys(r)) if (!RULE_KEYS.has(key)) throw bad(`${path}.${key}`, `unknown key; a rule has ${[...RULE_KEYS].join(', ')}`);
  const { id, expression, action } = r;
  const mode = r.mode ?? 'enabled';
  const scope = r.scope ?? 'global';
  if (typeof id !== 'string' || !RULE_ID.test(id)) throw bad(`${path}.id`, 'must be 1 to 64 letters, digits, _ . : or -');
  if (typeof expression !== 'string' || expression.trim() === '') throw bad(`${path}.expression`, 'must be a non-empty string');
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) throw bad(`${path}.action`, `must be one of ${ACTIONS.join(', ')}`);
  if (typeof mode !== 'string' || !(MODES as readonly string[]).includes(mode)) throw bad(`${path}.mode`, `must be one of ${MODES.join(', ')}`);
  if (typeof scope !== 'string' || !SCOPE.test(scope)) throw bad(`${path}.scope`, 'must be global, region:<code> or datacenter:<code>');
  let program: string | null = null;
  if (action === 'run') {
    // optional (the fixed file format has no such key): without it, `run` hands the packet to the tenant's program
    if (r.program !== undefined && (typeof r.program !== 'string' || !PROGRAM_NAME.test(r.program))) throw bad(`${path}.program`, 'a program name is 1 to 64 letters, digits, _ . or -');
    program = (r.program as string | undefined) ?? null;
  } else if (r.program !== undefined) {
    throw bad(`${path}.program`, 'only a run rule names a program');
  }
  if (r.description !== undefined && typeof r.description !== 'string') throw bad(`${path}.description`, 'must be a string');
  return { id, expression, action: action as Action, mode: mode as Mode, scope, program, description: (r.description as string | undefined) ?? null };
}

/**
 * The scope an edge evaluates: `datacenter:<its datacenter>` if any rule of the file names it
 * (whatever that rule's mode), else `region:<its region>` if any rule names that, else `global`.
 * Only the rules of that one scope run, in file order; scopes are not merged.
 */
export function selectScope(file: RulesFile, where: { region?: string | null; datacenter?: string | null }): string {
  const present = new Set(file.rules.map((r) => r.scope));
  if (where.datacenter && present.has(`datacenter:${where.datacenter}`)) return `datacenter:${where.datacenter}`;
  if (where.region && present.has(`region:${where.region}`)) return `region:${where.region}`;
  return 'global';
}
