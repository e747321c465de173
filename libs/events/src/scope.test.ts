import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Status, STATUS_NAMES } from '@flowshield/proto';
import { isFleetTransition } from './scope.js';

test('events scope - only changes to or from VERIFIED or BLOCKED are fleet-wide events', () => {
  const all = [Status.NONE, Status.CHALLENGED, Status.VERIFIED, Status.BLOCKED];
  const fleet: string[] = [];
  for (const prev of all) for (const next of all) if (isFleetTransition(prev, next)) fleet.push(`${STATUS_NAMES[prev]}->${STATUS_NAMES[next]}`);
  const local = all.flatMap((prev) => all.map((next) => `${STATUS_NAMES[prev]}->${STATUS_NAMES[next]}`)).filter((t) => !fleet.includes(t));
  assert.deepEqual(local, ['NONE->NONE', 'NONE->CHALLENGED', 'CHALLENGED->NONE', 'CHALLENGED->CHALLENGED']);
  assert.equal(fleet.length, 12);
  assert.ok(fleet.includes('VERIFIED->CHALLENGED') && fleet.includes('BLOCKED->NONE') && fleet.includes('VERIFIED->VERIFIED'));
});
