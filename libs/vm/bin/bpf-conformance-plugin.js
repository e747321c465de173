#!/usr/bin/env node
// bpf_conformance plugin: program as hex bytes on stdin, memory as hex in the arguments,
// `--engine NAME` among them (wasm, the default, or interp). Prints r0 as hex and exits 0, or
// prints the error on stderr and exits 1.
import { setFlagsFromString } from 'node:v8';
import { parsePluginArgs, runPlugin } from '../dist/conformance/plugin.js';

// One short program per process: compiling binaryen's own wasm with the optimising tier would
// cost more than everything else, so this process stays on the baseline compiler.
setFlagsFromString('--liftoff-only');

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
try {
  const invocation = parsePluginArgs(process.argv.slice(2));
  process.stdout.write((await runPlugin(invocation, input)) + '\n');
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
