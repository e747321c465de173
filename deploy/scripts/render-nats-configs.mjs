#!/usr/bin/env node
// Rewrites every shipped nats-server config in deploy/nats from libs/access (build first: npx tsc -b).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deployTemplates } from '@flowshield/access';

const root = fileURLToPath(new URL('../../', import.meta.url));
for (const { path, text } of deployTemplates()) {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
  console.log(path);
}
