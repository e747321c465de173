// Every example and fixture compiled as an author would and run on both engines: PFP-style
// sources (those including cf_ebpf_*.h) against Cloudflare's published headers in
// ../shared/pfp-headers, the rest against flowshield's own. Without ../shared (a bare clone) the
// PFP-header runs are not defined and the closing summary says why (suite-path.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pfpHeaders } from '../conformance/suite-path.js';
import { compileC, EXAMPLES_DIR, FIXTURES_DIR } from '../testing/clang.js';
import { FakeClockHost, udp4, udp6 } from '../testing/host.js';
import { loadProgram, type LoadedProgram } from './load-program.js';
import { ProgramInstance, type PacketResult } from './instance.js';

const PFP_HEADERS = pfpHeaders();
const sources = [EXAMPLES_DIR, FIXTURES_DIR].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f)));
const isPfpStyle = (path: string) => /#include\s*<cf_ebpf_(defs|helper)\.h>/.test(readFileSync(path, 'utf8'));
const name = (path: string) => path.split('/').slice(-2).join('/');

/** What one run did, comparable across engines (effects are reused by the next run: copied here). */
function outcome(r: PacketResult) {
  const e = r.effects;
  return {
    verdict: r.verdict, r0: r.r0, steps: r.steps, fault: r.fault?.message ?? null, tag: e.tag, printed: [...e.printed],
    statusChange: e.statusChange && { ...e.statusChange }, challenge: e.challenge && [...e.challenge], reply: e.reply && [...e.reply],
  };
}

/** Runs `packets` through a fresh instance on each engine; both must agree on everything and never fault. */
function runBoth(program: LoadedProgram, packets: ReturnType<typeof udp4>[], where: string) {
  const results = (['wasm', 'interp'] as const).map((engine) => {
    const host = new FakeClockHost();
    const instance = new ProgramInstance(program, host, { engine });
    return packets.map((p) => outcome(instance.run(p.ip, p.meta, host.now)));
  });
  assert.deepEqual(results[0], results[1], `${where}: the wasm engine and the interpreter agree`);
  for (const r of results[0]!) assert.equal(r.fault, null, `${where}: no fault`);
  return results[0]!;
}

const payload = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const packets = [
  udp4({ dstPort: 207, payload: payload(40, (i) => 0x41 + (i % 3)) }),
  udp6({ dstPort: 207, payload: payload(256, (i) => i) }),
  udp4({ dstPort: 207, payload: [] }),
];

for (const path of sources) {
  const pfp = isPfpStyle(path);
  if (pfp && PFP_HEADERS === null) continue;
  for (const mcpu of ['v1', 'v3']) {
    test(`pfp headers - ${name(path)} compiles against ${pfp ? "PFP's published headers" : "flowshield's headers"}, verifies and runs on a packet on both engines (-mcpu=${mcpu})`, () => {
      const program = loadProgram(compileC(path, { mcpu, includeDir: pfp ? PFP_HEADERS! : undefined }));
      const results = runBoth(program, packets, `${name(path)} -mcpu=${mcpu}`);
      for (const r of results) assert.notEqual(r.verdict, 'error', `${name(path)}: a verdict its type defines`);
    });
  }
}

if (PFP_HEADERS !== null) {
  const pfpProgram = (file: string, mcpu: string) => loadProgram(compileC(join(FIXTURES_DIR, file), { mcpu, includeDir: PFP_HEADERS }));

  for (const mcpu of ['v1', 'v3']) {
    test(`pfp headers - pfp_window_counter.c writes ctx->metadata and reads it back, tags IPv6 packets and counts a window (-mcpu=${mcpu})`, () => {
      const [v4, v6] = runBoth(pfpProgram('pfp_window_counter.c', mcpu), [packets[0]!, packets[1]!, packets[0]!], 'pfp_window_counter.c');
      assert.ok(v4!.printed.includes('a=1\n'), `metadata written and read back: ${JSON.stringify(v4!.printed)}`);
      assert.equal(v4!.tag, null);
      assert.equal(v6!.tag, 6n, 'set_network_analytics_tag(6) for IPv6');
      assert.equal(v4!.verdict, 'pass');
    });

    test(`pfp headers - pfp_payload_entropy.c: the length data_end - payload is proven bounded, and random payloads are dropped (-mcpu=${mcpu})`, () => {
      const program = pfpProgram('pfp_payload_entropy.c', mcpu);
      assert.equal(program.verified.bufferChecks.size, 0, 'a proven length: no run-time buffer check');
      const [text, random, empty] = runBoth(program, packets, 'pfp_payload_entropy.c');
      assert.equal(text!.verdict, 'pass');
      assert.equal(random!.verdict, 'drop');
      assert.equal(empty!.verdict, 'pass');
    });

    test(`pfp headers - pfp_analytics_tag.c tags a packet with its first payload byte (-mcpu=${mcpu})`, () => {
      const [text, random, empty] = runBoth(pfpProgram('pfp_analytics_tag.c', mcpu), packets, 'pfp_analytics_tag.c');
      assert.deepEqual([text!.tag, random!.tag, empty!.tag], [0x41n, null, null], 'byte 0x41; 0 is no tag; no payload, dropped');
      assert.equal(empty!.verdict, 'drop');
    });
  }
}
