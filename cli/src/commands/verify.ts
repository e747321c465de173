import type { Command } from 'commander';
import { VmLoadError, loadProgram, type LoadedProgram, type ProgramTypeName } from '@flowshield/vm';
import { CliError } from '../errors.js';
import { PROGRAM_TYPE_NAMES, parseBudget, readObject, type ProgramOptions } from './load.js';
import { io } from '../io.js';

/**
 * The program's loops (backward jumps): the verifier proves no trip count, so each ends only
 * when the per-run instruction budget does (the run then takes the fail verdict).
 */
export function budgetBoundedLoops(loaded: LoadedProgram): { instruction: number; head: number; source: string | null }[] {
  const loops = [];
  for (const [slot, target] of loaded.decoded.targets) {
    const kind = loaded.decoded.infos[slot]?.kind;
    if (kind === 'call' || target > slot) continue;
    const at = loaded.object.lineOf(slot);
    loops.push({ instruction: slot, head: target, source: at ? `${at.file.split('/').pop()}:${at.line}` : null });
  }
  return loops.sort((a, b) => a.instruction - b.instruction);
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('load and verify a program: instruction count and helpers used, or the error with its instruction and source line')
    .argument('<program>', 'eBPF object file (clang -target bpf -O2 -g -c)')
    .option('--type <type>', `program type (default: from the section name): ${PROGRAM_TYPE_NAMES.join(', ')}`)
    .option('--section <name>', 'program section to load (default: the only one)')
    .option('--budget <n>', "per-run instruction budget, or 'none' (loops are then rejected)")
    .option('--json', 'print one JSON object')
    .action((path: string, opts: ProgramOptions & { json?: boolean }) => {
      if (opts.type !== undefined && !(PROGRAM_TYPE_NAMES as readonly string[]).includes(opts.type)) {
        throw new CliError('FS_ERR_CLI_BAD_OPTION', `--type must be one of ${PROGRAM_TYPE_NAMES.join(', ')}`);
      }
      const bytes = readObject(path);
      let loaded;
      try {
        loaded = loadProgram(bytes, { type: opts.type as ProgramTypeName | undefined, section: opts.section, budget: parseBudget(opts.budget) });
      } catch (err) {
        if (!(err instanceof VmLoadError)) throw err;
        if (opts.json) {
          io().stdout.write(JSON.stringify({ ok: false, error: { code: err.code, message: err.message, instruction: err.index ?? null, source: err.source ?? null } }) + '\n');
        }
        throw new CliError(err.code, `${path}: ${err.message}`, { cause: err });
      }
      const loops = budgetBoundedLoops(loaded);
      const helpers = loaded.verified.helpersUsed.map((id) => ({ id, name: loaded.platform.helpers.get(id)?.name ?? String(id) }));
      if (opts.json) {
        io().stdout.write(JSON.stringify({
          ok: true,
          section: loaded.object.section,
          type: loaded.type.name,
          instructions: loaded.verified.instructionCount,
          helpers,
          maps: loaded.object.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries })),
          runtimeChecks: loaded.verified.runtimeChecks.size,
          maxStackDepth: loaded.verified.maxStackDepth,
          loops,
          budget: loaded.budget,
        }) + '\n');
        return;
      }
      io().stdout.write(
        `${path}: OK: section ${loaded.object.section} (type ${loaded.type.name}), ${loaded.verified.instructionCount} instructions\n` +
          `helpers used: ${helpers.length ? helpers.map((h) => `${h.id} ${h.name}`).join(', ') : 'none'}\n` +
          (loaded.object.maps.length ? `maps: ${loaded.object.maps.map((m) => m.name).join(', ')}\n` : '') +
          `stack: ${loaded.verified.maxStackDepth} bytes; accesses checked at run time: ${loaded.verified.runtimeChecks.size}\n` +
          (loops.length ? `warning: ${loops.length} loop${loops.length > 1 ? 's' : ''} bounded only by the instruction budget (${loaded.budget} per run; a run that reaches it takes the fail verdict): ${loops.map((l) => `instruction ${l.instruction} → ${l.head}${l.source ? ` (${l.source})` : ''}`).join(', ')}\n` : ''),
      );
    });
}
