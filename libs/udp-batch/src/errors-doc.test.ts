import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UdpBatchErrorCode } from './errors.js';

test('udp-batch docs - every error code is in README.md, and every code the C file throws is a known one', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of Object.values(UdpBatchErrorCode)) assert.ok(readme.includes(`\`${code}\``), `${code} missing from README.md`);
  const c = readFileSync(new URL('../native/udp_batch.c', import.meta.url), 'utf8');
  const known = new Set<string>(Object.values(UdpBatchErrorCode));
  for (const [code] of c.matchAll(/FS_ERR_UDPBATCH_[A-Z_]+/g)) assert.ok(known.has(code), `${code} (udp_batch.c) is not in errors.ts`);
});
