import type { Command } from 'commander';
import { registerKeys } from './keys.js';

/**
 * Every verb of `flowshield`. Each command lives in its own file under `commands/` and exports
 * a `register(program)` function; add one line here per file.
 */
export function registerCommands(program: Command): void {
  void program;
  registerKeys(program);
}
