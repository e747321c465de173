import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VmErrorCode } from '../errors.js';
import { compileC } from '../testing/clang.js';
import { FakeClockHost, udp4 } from '../testing/host.js';
import { loadProgram } from './load-program.js';
import { ProgramInstance } from './instance.js';

// The length comes from the packet and is never compared with anything: the verifier cannot
// bound it, so it accepts the call with a run-time check of the buffer instead of refusing it.
const UNBOUNDED = `
#include <cf_ebpf_defs.h>
#define CF_EBPF_HELPER_V0
#include <cf_ebpf_helper.h>
uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    if (parse_packet_data(ctx, NULL, &headers) != 0) return CF_EBPF_DROP;
    uint8_t *payload = (uint8_t *)(headers.udp + 1);
    if (payload + 8 > headers.data_end) return CF_EBPF_DROP;
    uint64_t n = *(uint64_t *)payload;
    return entropy(payload, n) > 4000 ? CF_EBPF_DROP : CF_EBPF_PASS;
}`;

test('buffer checks - a helper length with no proven bound is checked before the call, alike on both engines; a failed check is a fault, not a crash', () => {
  const program = loadProgram(compileC(UNBOUNDED, { inline: true }));
  assert.equal(program.verified.bufferChecks.size, 1);
  const [slot] = program.verified.bufferChecks.keys();
  const le = (n: bigint) => [...new Uint8Array(new BigUint64Array([n]).buffer)];
  const inBounds = udp4({ dstPort: 9, payload: [...le(8n), 1, 2, 3, 4, 5, 6, 7, 8] });
  const pastTheBuffer = udp4({ dstPort: 9, payload: le(4096n) });
  const huge = udp4({ dstPort: 9, payload: le(2n ** 63n) });
  const outcomes = (['wasm', 'interp'] as const).map((engine) => {
    const instance = new ProgramInstance(program, new FakeClockHost(), { engine });
    return [inBounds, pastTheBuffer, huge].map((p) => {
      const r = instance.run(p.ip, p.meta, 0);
      return { verdict: r.verdict, fault: r.fault && { code: r.fault.code, index: r.fault.index, message: r.fault.message, address: r.fault.address, size: r.fault.size } };
    });
  });
  assert.deepEqual(outcomes[0], outcomes[1], 'the wasm engine and the interpreter fault alike');
  const [ok, past, big] = outcomes[0]!;
  assert.deepEqual(ok, { verdict: 'pass', fault: null });
  for (const r of [past!, big!]) {
    assert.equal(r.verdict, 'error');
    assert.equal(r.fault?.code, VmErrorCode.MEMORY_ACCESS);
    assert.equal(r.fault?.index, slot);
    assert.match(r.fault!.message, /run-time check of helper buffer r1/);
  }
  assert.equal(past!.fault?.size, 4096);
  const batch = new ProgramInstance(program, new FakeClockHost()).runBatch([inBounds, pastTheBuffer, inBounds], 0);
  assert.deepEqual(batch.verdicts, ['pass', 'error', 'pass'], 'a batch goes on past the fault');
});
