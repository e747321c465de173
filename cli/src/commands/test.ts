import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { CaptureError, writeAnnotatedPcapng } from '../capture/index.js';
import { CliError } from '../errors.js';
import { annotation, packetJson, packetLine, summaryLine, traceLines } from '../program-test/report.js';
import { runCapture, summarize, type FailVerdict, type PacketOutcome } from '../program-test/run-capture.js';
import { TestHost } from '../program-test/test-host.js';
import { BENCH_STEPS, benchCapture, benchLines } from '../program-test/bench.js';
import { prepareEngine } from '../program-test/module-cache.js';
import { Progress } from '@flowshield/events';
import { loadProgramFile, readInput, PROGRAM_TYPE_NAMES, type ProgramOptions } from './load.js';
import type { EngineName } from '@flowshield/vm';
import { io } from '../io.js';
import { loadRulesFile } from './rules.js';

interface TestOptions extends ProgramOptions {
  json?: boolean;
  trace?: boolean;
  out?: string;
  bench?: boolean;
  engine?: string;
  failVerdict: string;
  seed: string;
  hmacKey?: string;
  challengeKey?: string;
  difficulty: string;
  failOnError?: boolean;
  rules?: string;
  region?: string;
  datacenter?: string;
}

/** wasm (compiled, the default) or interp (the reference interpreter, the default with --trace). */
export const ENGINES = ['wasm', 'interp'] as const;

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('run a program over a packet capture (pcap or pcapng): per-packet verdicts, status changes, challenges, and a summary')
    .argument('<program>', 'eBPF object file')
    .argument('<capture>', 'pcap or pcapng file (Ethernet, raw IP, Linux cooked)')
    .option('--json', 'one JSON object per packet, then {"summary": …} (with --bench: one object of figures)')
    .option('--trace', 'print every instruction executed, with its registers (interpreter)')
    .option('--out <file>', 'write the capture back as pcapng with the verdict in each packet comment')
    .option('--bench', 'print ns/packet for each engine (interpreter, wasm single call, wasm batch) over this capture, with the ratios')
    .option('--engine <engine>', `execution engine: ${ENGINES.join(', ')} (default wasm; interp with --trace)`)
    .option('--fail-on-error', 'exit non-zero when any packet faults or returns an undefined value (default when CI is set)')
    .option('--no-fail-on-error', 'exit 0 even when packets fault (the default outside CI)')
    .option('--fail-verdict <verdict>', 'verdict when the program faults or returns an undefined value: pass or drop', 'drop')
    .option('--type <type>', `program type (default: from the section name): ${PROGRAM_TYPE_NAMES.join(', ')}`)
    .option('--section <name>', 'program section to load')
    .option('--budget <n>', "per-run instruction budget, or 'none'")
    .option('--seed <n>', 'seed of the rand helpers, for reproducible runs', '1')
    .option('--hmac-key <hex>', 'key of the hmac helpers (default: 32 zero bytes)')
    .option('--challenge-key <hex>', 'key of the standard challenge, 32 bytes (default: a fixed test key)')
    .option('--difficulty <bits>', 'work of standard challenges issued, in bits', '8')
    .option('--rules <file>', 'run these firewall rules before the program, as the edge does (block drops, allow passes, without the program)')
    .option('--region <code>', 'with --rules: the edge\'s region (selects region:<code> rules)')
    .option('--datacenter <code>', 'with --rules: the edge\'s datacenter (selects datacenter:<code> rules)')
    .action(async (programPath: string, capturePath: string, opts: TestOptions) => {
      const engine = opts.engine ?? (opts.trace ? 'interp' : 'wasm');
      if (!(ENGINES as readonly string[]).includes(engine)) throw new CliError('FS_ERR_CLI_BAD_OPTION', `--engine must be one of ${ENGINES.join(', ')}`);
      if (opts.trace && engine !== 'interp') throw new CliError('FS_ERR_CLI_BAD_OPTION', '--trace needs --engine interp');
      if (opts.failVerdict !== 'pass' && opts.failVerdict !== 'drop') throw new CliError('FS_ERR_CLI_BAD_OPTION', '--fail-verdict must be pass or drop');
      if (opts.hmacKey !== undefined && !/^([0-9a-f]{2})+$/i.test(opts.hmacKey)) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--hmac-key must be hex bytes');
      if (opts.challengeKey !== undefined && !/^[0-9a-f]{64}$/i.test(opts.challengeKey)) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--challenge-key must be 32 bytes of hex');
      const difficultyBits = Number(opts.difficulty);
      if (!Number.isInteger(difficultyBits) || difficultyBits < 0 || difficultyBits > 32) throw new CliError('FS_ERR_CLI_BAD_OPTION', '--difficulty must be 0..32 bits');
      const loaded = loadProgramFile(programPath, opts);
      const rules = opts.rules === undefined ? undefined : loadRulesFile(opts.rules, { region: opts.region ?? null, datacenter: opts.datacenter ?? null });
      const capture = readInput(capturePath);
      const newHost = () => new TestHost({
        seed: Number(opts.seed),
        hmacKey: opts.hmacKey ? Buffer.from(opts.hmacKey, 'hex') : undefined,
        challenge: { difficultyBits, ...(opts.challengeKey ? { key: Buffer.from(opts.challengeKey, 'hex') } : {}) },
        print: opts.json ? undefined : (line) => io().stdout.write(`    printf: ${line}\n`),
      });

      // The bench runs every engine; otherwise only the one asked for is prepared.
      await prepareEngine(loaded, opts.bench ? 'wasm' : engine as EngineName);
      if (opts.bench) {
        // A bar on a terminal only: the figures are the output, a script reads them.
        const progress = io().stderr.isTTY ? new Progress('bench', BENCH_STEPS, io().stderr) : null;
        const result = benchCapture(loaded, capture, newHost, (done) => progress?.update(done));
        progress?.finish(BENCH_STEPS);
        io().stdout.write(opts.json ? JSON.stringify({ bench: result }) + '\n' : benchLines(result).map((l) => l + '\n').join(''));
        return;
      }
      const outcomes: PacketOutcome[] = [];
      try {
        for (const outcome of runCapture(loaded, capture, { failVerdict: opts.failVerdict as FailVerdict, trace: opts.trace, engine: engine as EngineName, host: newHost(), rules })) {
          outcomes.push(outcome);
          if (opts.json) {
            io().stdout.write(JSON.stringify(packetJson(outcome)) + '\n');
          } else {
            io().stdout.write(packetLine(outcome) + '\n');
            for (const line of outcome.trace ? traceLines(outcome.trace) : []) io().stdout.write(line + '\n');
          }
        }
      } catch (err) {
        if (err instanceof CaptureError) throw new CliError(err.code, `${capturePath}: ${err.message}`, { cause: err });
        throw err;
      }
      const summary = summarize(outcomes);
      io().stdout.write(opts.json ? JSON.stringify({ summary }) + '\n' : summaryLine(summary) + '\n');
      if (opts.out) writeFileSync(opts.out, writeAnnotatedPcapng(outcomes.map((o) => ({ record: o.record, comment: annotation(o) }))));
      const ci = io().env.CI;
      const failOnError = opts.failOnError ?? (Boolean(ci) && ci !== 'false' && ci !== '0');
      const faulted = outcomes.find((o) => o.error);
      if (failOnError && faulted) {
        throw new CliError('FS_ERR_CLI_PACKET_FAULTED', `${summary.errors} of ${summary.packets} packets faulted (first: #${faulted.index}: ${faulted.error})`);
      }
    });
}
