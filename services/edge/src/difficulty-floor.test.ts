import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DifficultyFloor } from './difficulty-floor.js';

test('difficulty floor - a published floor above what this edge issued does not refuse its own answers until they lapse', () => {
  const floor = new DifficultyFloor(8, 30_000);
  assert.equal(floor.bitsAt(0), 0, 'nothing published yet: any answer to a challenge issued here');
  floor.update(12, 12, 1_000); // the service's first record: base 12, floor 12
  assert.equal(floor.bitsAt(1_000), 8, 'challenges issued at 8 bits a moment ago still verify');
  assert.equal(floor.bitsAt(31_000), 8);
  assert.equal(floor.bitsAt(31_001), 12, 'once they have lapsed, the published floor holds');
  floor.update(16, 12, 40_000);
  assert.equal(floor.bitsAt(40_000), 12, 'the published floor covers what others issued');
  floor.update(16, 16, 80_000);
  assert.equal(floor.bitsAt(80_000), 16);
});
