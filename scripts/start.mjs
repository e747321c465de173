// `npm start`: the whole stack on this machine (DESIGN.md section 9), through `flowshield start`.
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, [new URL('../cli/bin/flowshield.js', import.meta.url).pathname, 'start', ...process.argv.slice(2)], { stdio: 'inherit' });
// Ctrl-C reaches the whole process group; the CLI stops its children itself.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code) => process.exit(code ?? 0));
