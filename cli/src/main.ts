import { Command, CommanderError } from 'commander';
import { registerAllCommands, registerCommands, verbOf } from './commands/index.js';
import { CliError } from './errors.js';
import { io, withIo, type CliIo } from './io.js';

/**
 * Builds the `flowshield` command tree: for a run of ARGS, the verb they name, or the list of
 * verbs (commands/index.ts); without ARGS, every verb. Exported for callers that drive it in-process.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('flowshield')
    .description('flowshield operator command: programs, state, events, keys and the local stack')
    .configureOutput({
      writeOut: (text) => io().stdout.write(text),
      writeErr: (text) => io().stderr.write(text),
      // Commander's own errors (a missing option or argument, an unknown verb) as one line, like ours.
      outputError: (text, write) => write(`flowshield: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .exitOverride();
  if (args === undefined) await registerAllCommands(program);
  else await registerCommands(program, verbOf(args).verb);
  return program;
}

/**
 * Runs `flowshield ARGS` (without node and the script) and returns its exit code; failures print
 * one line. Output, environment and folder come from `options` (default: this process's), so
 * tests run the CLI in-process exactly as the command does.
 */
export async function run(args: string[], options: Partial<CliIo> = {}): Promise<number> {
  const base = io();
  const context: CliIo = { stdout: options.stdout ?? base.stdout, stderr: options.stderr ?? base.stderr, env: options.env ?? base.env, cwd: options.cwd ?? base.cwd };
  return withIo(context, async () => {
    try {
      const run = verbOf(args);
      await (await buildProgram(run.args)).parseAsync(run.args, { from: 'user' });
      return 0;
    } catch (err) {
      // Commander already printed help or its one-line message.
      if (err instanceof CommanderError) return err.exitCode;
      const message = err instanceof Error ? err.message : String(err);
      context.stderr.write(`flowshield: ${message}\n`);
      return err instanceof CliError ? err.exitCode : 1;
    }
  });
}

/** The command's entry: `argv` is process.argv. */
export function main(argv: string[]): Promise<number> {
  return run(argv.slice(2));
}
