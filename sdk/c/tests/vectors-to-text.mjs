// Flattens libs/proto/vectors/challenge/v1.json (the file the TypeScript SDK and engine test
// against) into "field value" lines a C test reads without a JSON parser. Nothing is computed here.
//   node vectors-to-text.mjs IN.json OUT.txt
import { readFileSync, writeFileSync } from 'node:fs';

const [input, output] = process.argv.slice(2);
const v = JSON.parse(readFileSync(input, 'utf8'));
const lines = [];
for (const c of v.cases) {
  lines.push('case', `name ${c.name.replace(/\s+/g, '_')}`, `key ${c.key}`, `keyId ${c.keyId}`, `issuedAt ${c.issuedAt}`,
    `difficulty ${c.difficulty}`, `subPuzzles ${c.subPuzzles}`, `nonce ${c.nonce}`, `clientPort ${c.client.port}`,
    `macInput ${c.macInput}`, `tag ${c.tag}`, `challenge ${c.challenge}`, `solutions ${c.solutions.join(',')}`,
    `payload ${c.payload ?? '-'}`, `answer ${c.answer}`, 'end');
}
for (const r of v.rejections) lines.push('rejection', `name ${r.name.replace(/\s+/g, '_')}`, `answer ${r.answer}`, `reason ${r.reason}`, 'end');
writeFileSync(output, `${lines.join('\n')}\n`);
