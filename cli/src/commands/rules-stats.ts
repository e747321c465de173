import type { Command } from 'commander';
import { CliError } from '../errors.js';
import { io } from '../io.js';
import { dataDir, readStackFile } from '../local-stack/stack-file.js';

/*
 * `flowshield rules stats`: the firewall's counters, read from the edges' metrics endpoints
 * (`fs_edge_rule_packets_total` and `fs_edge_rule_bytes_total`, already summed over each edge's
 * packet workers) and summed over the edges: those given with --edge, else every edge of
 * DATA_DIR/stack.json.
 */

export interface RuleStat { tenant: string; rule: string; mode: string; action: string; packets: number; bytes: number }

const SERIES = /^fs_edge_rule_(packets|bytes)_total\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

/** The rule counters of one scrape (Prometheus text), keyed by tenant, rule, mode and action. */
export function parseRuleCounters(text: string, into = new Map<string, RuleStat>()): Map<string, RuleStat> {
  for (const line of text.split('\n')) {
    const m = SERIES.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of m[2]!.matchAll(LABEL)) labels[k!] = v!.replace(/\\(.)/g, '$1');
    const { tenant = '', rule = '', mode = '', action = '' } = labels;
    const key = JSON.stringify([tenant, rule, mode, action]);
    const stat = into.get(key) ?? { tenant, rule, mode, action, packets: 0, bytes: 0 };
    stat[m[1] as 'packets' | 'bytes'] += Number(m[3]);
    into.set(key, stat);
  }
  return into;
}

const collect = (value: string, previous: string[]) => [...previous, value];
const metricsUrl = (u: string) => (/\/metrics\/?$/.test(u) ? u : `${u.replace(/\/$/, '')}/metrics`);

export function registerRulesStats(rules: Command): void {
  rules.command('stats')
    .description("the rules' packet and byte counters, summed over the edges (--edge URL, else the edges of stack.json)")
    .option('--tenant <name>', 'only this tenant')
    .option('--edge <url>', 'an edge metrics endpoint, http://HOST:PORT[/metrics] (repeatable)', collect, [])
    .option('--data-dir <dir>', 'where `flowshield start` wrote stack.json (env FLOWSHIELD_DATA_DIR, default .data)')
    .option('--json', 'print {"rules":[{"tenant","rule","mode","action","packets","bytes"}],"edges":[{"url","ok","error"}]}')
    .action(async (opts: { tenant?: string; edge: string[]; dataDir?: string; json?: boolean }) => {
      let urls = opts.edge.map(metricsUrl);
      if (urls.length === 0) {
        const stack = readStackFile(dataDir(opts.dataDir));
        if (!stack) throw new CliError('FS_ERR_CLI_NO_EDGES', `no --edge given and no stack.json in ${dataDir(opts.dataDir)}`);
        urls = stack.stack.edges.map((e) => metricsUrl(e.metrics));
      }
      const stats = new Map<string, RuleStat>();
      const edges = await Promise.all(urls.map(async (url) => {
        try {
          const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
          if (!response.ok) return { url, ok: false, error: `HTTP ${response.status}` };
          parseRuleCounters(await response.text(), stats);
          return { url, ok: true, error: null };
        } catch (err) {
          return { url, ok: false, error: (err as Error).message };
        }
      }));
      if (edges.every((e) => !e.ok)) throw new CliError('FS_ERR_CLI_EDGE_UNREACHABLE', `no edge answered: ${edges.map((e) => `${e.url} (${e.error})`).join(', ')}`);
      for (const e of edges) if (!e.ok) io().stderr.write(`flowshield: warning: ${e.url}: ${e.error}\n`);
      const rows = [...stats.values()].filter((s) => opts.tenant === undefined || s.tenant === opts.tenant);
      if (opts.json) {
        io().stdout.write(`${JSON.stringify({ rules: rows, edges })}\n`);
        return;
      }
      if (rows.length === 0) io().stdout.write('no rule counters\n');
      for (const r of rows) io().stdout.write(`${r.tenant.padEnd(16)} ${r.rule.padEnd(24)} ${r.mode.padEnd(10)} ${r.action.padEnd(5)} ${String(r.packets).padStart(12)} packets ${String(r.bytes).padStart(14)} bytes\n`);
    });
}
