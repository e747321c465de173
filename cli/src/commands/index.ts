import type { Command } from 'commander';
import { registerKeys } from './keys.js';
import { registerAccess } from './access.js';
import { registerStatus } from './status.js';
import { registerEvents } from './events.js';
import { registerReplay } from './replay.js';
import { registerState } from './state.js';
import { registerSnapshot } from './snapshot.js';
import { registerCompile } from './compile.js';
import { registerVerify } from './verify.js';
import { registerAsm } from './asm.js';
import { registerDisasm } from './disasm.js';
import { registerTest } from './test.js';
import { registerStart } from './start.js';
import { registerDeploy } from './deploy.js';
import { registerRollback } from './rollback.js';
import { registerPrograms } from './programs.js';
import { registerRules } from './rules.js';
import { registerLists } from './lists.js';

/**
 * Every verb of `flowshield`. Each command lives in its own file under `commands/` and exports
 * a `register(program)` function; add one line here per file.
 */
export function registerCommands(program: Command): void {
  void program;
  registerKeys(program);
  registerAccess(program);
  registerStatus(program);
  registerEvents(program);
  registerReplay(program);
  registerState(program);
  registerSnapshot(program);
  registerCompile(program);
  registerVerify(program);
  registerAsm(program);
  registerDisasm(program);
  registerTest(program);
  registerStart(program);
  registerDeploy(program);
  registerRollback(program);
  registerPrograms(program);
  registerRules(program);
  registerLists(program);
}
