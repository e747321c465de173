#!/usr/bin/env node
// bpf_conformance plugin: program as hex bytes on stdin, memory as hex in the arguments,
// `--engine NAME` among them. Prints r0 as hex and exits 0, or prints the error on stderr and exits 1.
import { parsePluginArgs, runPlugin } from '../dist/conformance/plugin.js';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
try {
  const invocation = parsePluginArgs(process.argv.slice(2));
  process.stdout.write(runPlugin(invocation, input) + '\n');
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
