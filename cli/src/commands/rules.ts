import type { Command } from 'commander';
import { compileRules, isRulesError, parseRulesFile, type RuleSet } from '@flowshield/rules';
import type { LoadedProgram } from '@flowshield/vm';
import { CaptureError } from '../capture/index.js';
import { CliError } from '../errors.js';
import { io } from '../io.js';
import { prepareEngine } from '../program-test/module-cache.js';
import { rulesJson, rulesLine, rulesSummaryLines, runRulesOverCapture, summarizeRules, type RulesOutcome } from '../rules-test/run-rules.js';
import { loadProgramFile, readInput } from './load.js';
import { registerRulesDeploy } from './rules-deploy.js';
import { registerRulesStats } from './rules-stats.js';

interface RulesTestOptions {
  json?: boolean;
  region?: string;
  datacenter?: string;
  bpf: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** A rules file compiled for one edge's scope; bpf() needs `rules test --bpf`, so it is refused here. */
export function loadRulesFile(path: string, where: { region: string | null; datacenter: string | null }): RuleSet {
  try {
    return compileRules(parseRulesFile(new TextDecoder().decode(readInput(path))), where);
  } catch (err) {
    if (isRulesError(err)) throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('the firewall: ordered rules in a Wirefilter-style language (libs/rules/README.md)');
  rules
    .command('test')
    .description('run a rules file over a packet capture: per packet the rules it matched and the deciding rule, then a summary')
    .argument('<rules>', 'rules file (JSON: {"lists": {...}, "rules": [...]})')
    .argument('<capture>', 'pcap or pcapng file (Ethernet, raw IP, Linux cooked)')
    .option('--json', 'one JSON object per packet {"index","matched","action","rule"}, then {"summary": …}')
    .option('--region <code>', "this edge's region: selects region:<code> rules when the file has any")
    .option('--datacenter <code>', "this edge's datacenter: selects datacenter:<code> rules when the file has any")
    .option('--bpf <name=prog.o>', 'a socket-filter program for bpf("name") (repeatable)', collect, [])
    .action(async (rulesPath: string, capturePath: string, opts: RulesTestOptions) => {
      const bpf = new Map<string, LoadedProgram>();
      for (const spec of opts.bpf) {
        const eq = spec.indexOf('=');
        if (eq <= 0) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--bpf takes NAME=PROG.o, not ${JSON.stringify(spec)}`);
        const filter = loadProgramFile(spec.slice(eq + 1), { type: 'socket' });
        await prepareEngine(filter, 'wasm'); // bpf() runs on the wasm engine, as on the edge
        bpf.set(spec.slice(0, eq), filter);
      }
      const rulesText = new TextDecoder().decode(readInput(rulesPath));
      const capture = readInput(capturePath);
      let run;
      try {
        run = runRulesOverCapture(rulesText, capture, { region: opts.region ?? null, datacenter: opts.datacenter ?? null, bpf });
      } catch (err) {
        if (isRulesError(err)) throw new CliError(err.code, `${rulesPath}: ${err.message}`, { cause: err });
        if (err instanceof Error && err.message.includes('--bpf')) throw new CliError('FS_ERR_CLI_BAD_OPTION', err.message);
        throw err;
      }
      const outcomes: RulesOutcome[] = [];
      try {
        for (const o of run.outcomes) {
          outcomes.push(o);
          io().stdout.write((opts.json ? JSON.stringify(rulesJson(o)) : rulesLine(o)) + '\n');
        }
      } catch (err) {
        if (err instanceof CaptureError) throw new CliError(err.code, `${capturePath}: ${err.message} (after ${outcomes.length} packets)`, { cause: err });
        throw err;
      }
      const summary = summarizeRules(run.rules, outcomes);
      if (opts.json) io().stdout.write(JSON.stringify({ summary }) + '\n');
      else for (const line of rulesSummaryLines(summary)) io().stdout.write(line + '\n');
    });
  registerRulesDeploy(rules);
  registerRulesStats(rules);
}
