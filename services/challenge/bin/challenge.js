#!/usr/bin/env node
// flowshield challenge service. Settings: see services/challenge/README.md (environment variables).
import { main } from '../dist/main.js';

main().catch((err) => {
  process.stderr.write(`challenge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
