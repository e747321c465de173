#!/usr/bin/env node
// The state service as a process: `flowshield-state --help` lists flags and environment variables.
import { runStateMain } from '../dist/main.js';

await runStateMain(process.argv.slice(2));
