import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgramInstance } from '../program/instance.js';
import { loadProgram } from '../program/load-program.js';
import { compileC } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import { HelperResult } from './pfp-helpers.js';

const ISSUE = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    return (u64)fs_issue_challenge();
}
`;

/** A host whose challenge limits count what they were asked, and a challenge of 100 bytes. */
class CountingHost extends FakeClockHost {
  asked = 0;
  allow = true;
  override allowChallenge(): boolean {
    this.asked++;
    return this.allow;
  }
}

test('fs_issue_challenge - a challenge too big for its trigger is refused before the limits are asked (no budget spent on it)', () => {
  const host = new CountingHost();
  host.challenge = { challengeBytes: 100, issue: () => new Uint8Array(100), verify: () => 0 };
  const instance = new ProgramInstance(loadProgram(compileC(ISSUE, { inline: true })), host, { engine: 'interp' });
  const code = (payloadBytes: number) => Number(BigInt.asIntN(64, instance.run(...packet(payloadBytes), host.now).r0));
  const packet = (n: number) => {
    const p = udp4({ dstPort: 207, payload: new Array(n).fill(1) });
    return [p.ip, p.meta] as const;
  };
  assert.equal(code(1), HelperResult.TOO_BIG);
  assert.equal(host.asked, 0, 'a one-byte trigger took no token');
  assert.equal(code(200), HelperResult.OK);
  assert.equal(host.asked, 1);
  host.allow = false;
  assert.equal(code(200), HelperResult.RATE_LIMITED);
  assert.equal(host.asked, 2);
});
