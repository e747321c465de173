import { Help, type Command } from 'commander';
import { VERBS } from './verbs.js';

/**
 * Registers what a run of `flowshield ARGS` needs: the verb it names, from that verb's own module
 * (each command lives in its own file under `commands/` and exports a `register(program)`
 * function; add a line per file to `verbs.ts`), or, with no known verb (`--help`, no argument, a
 * typo), every verb as the listing names it, so commander prints the list or its "unknown
 * command" error without loading any verb's libraries.
 */
export async function registerCommands(program: Command, verb: string | null): Promise<void> {
  const chosen = VERBS.find((v) => v.name === verb);
  if (chosen) {
    (await chosen.load())(program);
    return;
  }
  // A listed verb runs only through its module: reaching one here is a bug of `verbOf`, said aloud.
  for (const v of VERBS) {
    program.command(v.name).description(v.summary).allowUnknownOption().allowExcessArguments().action(() => {
      throw new Error(`internal error: ${v.name} ran without its module (run it as \`flowshield ${v.name} ...\`)`);
    });
  }
  program.configureHelp({
    subcommandTerm(cmd) {
      return VERBS.find((v) => v.name === cmd.name())?.term ?? Help.prototype.subcommandTerm.call(this, cmd);
    },
  });
}

/**
 * The verb a run names: its first argument (the root command has no options of its own to skip;
 * after a leading `--` the next one), and for `help VERB` that verb, whose module then prints its help.
 */
export function verbOf(args: readonly string[]): { verb: string | null; args: string[] } {
  if (args[0] === 'help' && args[1] !== undefined && VERBS.some((v) => v.name === args[1])) return { verb: args[1], args: [args[1], '--help'] };
  const first = args[0] === '--' ? args[1] : args[0];
  return { verb: first === undefined || first.startsWith('-') ? null : first, args: [...args] };
}

/** Every verb's module, registered: the whole command tree (for callers that build it themselves). */
export async function registerAllCommands(program: Command): Promise<void> {
  for (const v of VERBS) (await v.load())(program);
}
