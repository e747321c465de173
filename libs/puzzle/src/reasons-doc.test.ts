import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { IssueRefusal, TokenReason, VerifyReason } from '@flowshield/proto';
import { PuzzleErrorCode } from './errors.js';

test('puzzle docs - every reason and error code is documented in README.md', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const code of [...Object.values(VerifyReason), ...Object.values(IssueRefusal), ...Object.values(TokenReason), ...Object.values(PuzzleErrorCode)]) {
    assert.ok(readme.includes(`\`${code}\``) || readme.includes(code), `${code} missing from libs/puzzle/README.md`);
  }
});
