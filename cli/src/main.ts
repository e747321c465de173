import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.js';
import { CliError } from './errors.js';

/** Builds the `flowshield` command tree. Exported for tests that drive it in-process. */
export function buildProgram(): Command {
  const program = new Command('flowshield')
    .description('flowshield operator command: programs, state, events, keys and the local stack')
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the command line and returns the process exit code; failures print one line. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed help or its own message.
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`flowshield: ${message}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}
