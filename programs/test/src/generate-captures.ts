// Writes the example captures to programs/examples/captures/NAME.pcap:
//   npx tsc -b programs/test && node programs/test/dist/generate-captures.js
// The files are committed; examples.test.ts fails when they differ from what this writes.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_CAPTURES, capturePcap } from './example-captures.js';

export const CAPTURES_DIR = fileURLToPath(new URL('../../examples/captures/', import.meta.url));

mkdirSync(CAPTURES_DIR, { recursive: true });
for (const [example, packets] of Object.entries(EXAMPLE_CAPTURES)) {
  const path = join(CAPTURES_DIR, `${example}.pcap`);
  const list = packets();
  writeFileSync(path, capturePcap(list));
  process.stdout.write(`${path}: ${list.length} packets\n`);
}
