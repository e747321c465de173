import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCompiled, setModuleStore, type EngineName, type LoadedProgram, type ModuleStore } from '@flowshield/vm';

/**
 * The CLI's cache of compiled wasm modules, by program hash: FLOWSHIELD_CACHE_DIR, else
 * $XDG_CACHE_HOME/flowshield, else ~/.cache/flowshield, under `wasm/<build>/`, where <build>
 * names the installed compiler (its file's size and time), so a rebuilt VM never reads an older
 * compiler's modules. A second `flowshield test` of the same object skips binaryen entirely.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOWSHIELD_CACHE_DIR) return env.FLOWSHIELD_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'flowshield');
}

function compilerBuild(): string {
  const compiler = join(dirname(fileURLToPath(import.meta.resolve('@flowshield/vm'))), 'wasm', 'compile.js');
  const stat = statSync(compiler);
  return createHash('sha256').update(`${stat.size}:${stat.mtimeMs}`).digest('hex').slice(0, 16);
}

/** Module files in a directory; a file that cannot be read or written only costs a compile. */
export function directoryStore(dir: string): ModuleStore {
  return {
    get(key) {
      try {
        return readFileSync(join(dir, `${key}.wasm`));
      } catch {
        return null;
      }
    },
    put(key, wasm) {
      mkdirSync(dir, { recursive: true });
      // Written aside and renamed: a concurrent reader sees the whole module or none.
      const temporary = join(dir, `${key}.${process.pid}.tmp`);
      writeFileSync(temporary, wasm);
      renameSync(temporary, join(dir, `${key}.wasm`));
    },
  };
}

/**
 * Before a program runs on the wasm engine: its module from the cache, or compiled (binaryen
 * loads only then) and cached. The interpreter needs nothing.
 */
export async function prepareEngine(program: LoadedProgram, engine: EngineName): Promise<void> {
  if (engine !== 'wasm') return;
  try {
    setModuleStore(directoryStore(join(cacheDir(), 'wasm', compilerBuild())));
  } catch {
    setModuleStore(null);
  }
  await ensureCompiled(program);
}
