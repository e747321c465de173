export { buildProgram, main, run } from './main.js';
export { CliError } from './errors.js';
export type { CliIo, CliOutput } from './io.js';
