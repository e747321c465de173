import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SnapshotProgress } from './progress.js';

function sink(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = { isTTY, write: (s: string) => { text += s; return true; } } as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

test('progress - a snapshot draws one bar per phase on a terminal, in MiB for bytes and entries for the digest', () => {
  const tty = sink(true);
  const p = new SnapshotProgress('bootstrap', tty.out, true);
  p.update('download', 3 * 1_048_576, 6 * 1_048_576);
  p.update('verify', 10, 10);
  p.finish();
  assert.match(tty.text(), /\rbootstrap download \[#{15}\.{15}\]  50% 3\.0\/6\.0 MiB/);
  assert.match(tty.text(), /\rbootstrap verify \[#{30}\] 100% 10\/10 entries/);
  assert.equal(tty.text().split('\n').length - 1, 2, 'each finished bar ends its line');
});

test('progress - ttyOnly draws nothing off a terminal; otherwise plain lines', () => {
  const log = sink(false);
  const quiet = new SnapshotProgress('bootstrap', log.out, true);
  quiet.update('download', 1, 2);
  quiet.finish();
  assert.equal(log.text(), '');
  const plain = new SnapshotProgress('restore', log.out);
  plain.update('download', 2 * 1_048_576, 2 * 1_048_576);
  plain.finish();
  assert.match(log.text(), /^restore download: 100% \(2\.0\/2\.0\) MiB/);
  assert.doesNotMatch(log.text(), /\r/);
});
