import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { compileRules } from './rule-set.js';
import { parseRulesFile } from './rules-file.js';

test('rules README - every example rules file compiles', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2);
  for (const block of blocks) {
    const rs = compileRules(parseRulesFile(block), { bpf: () => 0 });
    assert.ok(rs.rules.length > 0);
  }
});

test('rules README - every error code is documented', async () => {
  const { RulesErrorCode } = await import('./errors.js');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of Object.values(RulesErrorCode)) {
    const suffix = code.replace('FS_ERR_RULES', '');
    assert.ok(readme.includes(code) || readme.includes(`\`${suffix}\``), `${code} is not in the README`);
  }
});
