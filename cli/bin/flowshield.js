#!/usr/bin/env node
import { main } from '../dist/main.js';

// `flowshield test --trace | head` closes the pipe early: that ends the output, not in a crash.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});
process.exitCode = await main(process.argv);
