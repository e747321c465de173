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
