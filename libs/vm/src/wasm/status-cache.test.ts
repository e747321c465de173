import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StateStore } from '../abi/host.js';
import { InMemoryState } from '../abi/memory-state.js';
import { ProgramInstance, type BatchPacket } from '../program/instance.js';
import { loadProgram } from '../program/load-program.js';
import { StatusTable } from '../tables/state-tables.js';
import { compileC } from '../testing/clang.js';
import { FakeClockHost, udp4, udp6 } from '../testing/host.js';
import { loadCompiler } from './compiler.js';

await loadCompiler();

/*
 * The wasm engine's status cache (status-cache.ts, status-cache-code.ts) must answer exactly as
 * the host does. A program that reads its source's status in every way the helper allows, sets
 * one chosen by the packet, and reads again (into a global, which only the host may write, and
 * into one buffer for both answers), returns all it saw in r0; the cached engine, one packet per
 * call and in batches, must agree with the interpreter on every packet while statuses are set,
 * evicted (a table of 8 entries for 12 sources), changed by the host between batches, expire, and
 * come back when the clock steps back.
 */
const PROBE = `
#define CF_EBPF_HELPER_V0
#include <cf_ebpf_defs.h>
#include <cf_ebpf_helper.h>

static uint8_t global_status = 9;

uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    struct cf_ebpf_packet_data *p;
    if (parse_packet_data(ctx, &p, &headers) != 0)
        return CF_EBPF_DROP;
    uint8_t *payload = (uint8_t *)(headers.udp + 1);
    uint8_t action = 0;
    if (payload + 1 <= headers.data_end)
        action = payload[0] % 6;

    uint8_t status = 9, again = 9;
    uint64_t expiry = 7, expiry_only = 7;
    int64_t got = get_src_ip_status(&status, &expiry);
    int64_t got2 = get_src_ip_status(&again, 0);
    int64_t got3 = get_src_ip_status(0, &expiry_only);
    if (action == 1) set_src_ip_status(CF_EBPF_SRC_IP_STATUS_CHALLENGED, 30);
    if (action == 2) set_src_ip_status(CF_EBPF_SRC_IP_STATUS_VERIFIED, 0);
    if (action == 3) set_src_ip_status(CF_EBPF_SRC_IP_STATUS_BLOCKLISTED, 5);
    if (action == 4) set_src_ip_status(CF_EBPF_SRC_IP_STATUS_NONE, 0);
    int64_t none = action == 5 ? get_src_ip_status(0, 0) : 0;
    uint8_t after = 9;
    int64_t got4 = get_src_ip_status(&after, 0);
    // a buffer outside the stack (the host's path), and one buffer for both answers
    int64_t got5 = get_src_ip_status(&global_status, 0);
    uint64_t both = 0x5555555555555555;
    int64_t got6 = get_src_ip_status((uint8_t *)&both, &both);

    uint64_t r = (uint8_t)(got + 8);
    r |= (uint64_t)status << 8;
    r |= (expiry & 0xfffff) << 16;
    r |= (uint64_t)(uint8_t)(got2 + 8) << 36;
    r |= (uint64_t)(again & 15) << 44;
    r |= (uint64_t)(uint8_t)(got3 + 8) << 48;
    r |= (expiry_only & 15) << 52;
    r |= (uint64_t)(uint8_t)(got4 + 8 + none) << 56;
    // the first answer and its status stay in bits 0-15 as they are; the rest is folded in above
    uint64_t rest = after ^ ((uint64_t)global_status << 4) ^ ((uint64_t)(got5 + 8) << 12) ^ (both * 31) ^ ((uint64_t)(got6 + 8) << 40);
    return r ^ (rest << 16);
}
`;

const program = loadProgram(compileC(PROBE, { inline: true }));

/** The smallest status budget holding 8 entries: 12 sources then evict each other. */
function eightEntryBudget(): number {
  let bytes = 256;
  while (StatusTable.capacityFor(bytes) < 8) bytes += 16;
  return bytes;
}

/** A host whose store counts the lookups that reached it. */
function countingHost(): { host: FakeClockHost; lookups: () => number } {
  const host = new FakeClockHost();
  const state = new InMemoryState({ statusBytes: eightEntryBudget() });
  let lookups = 0;
  const getStatus = state.getStatus.bind(state);
  state.getStatus = (ip, now) => {
    lookups++;
    return getStatus(ip, now);
  };
  (host as { state: InMemoryState }).state = state;
  return { host, lookups: () => lookups };
}

test('status cache - the cached engine answers as the host while statuses are set, evicted, changed by the host and expire', () => {
  const hosts = { interp: countingHost(), single: countingHost(), batch: countingHost() };
  const interp = new ProgramInstance(program, hosts.interp.host, { engine: 'interp' });
  const single = new ProgramInstance(program, hosts.single.host, { engine: 'wasm', statusCache: true });
  const batched = new ProgramInstance(program, hosts.batch.host, { engine: 'wasm', batchCapacity: 7, statusCache: true });
  let seed = 20261204;
  const next = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const v6 = (k: number) => [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, k];
  const packetFrom = (k: number) => (k < 6
    ? udp4({ src: [10, 0, 0, 1 + k], dstPort: 207, payload: [next(256), 1, 2] })
    : udp6({ src: v6(k), dstPort: 207, payload: [next(256), 1, 2] }));
  let pending: { packet: BatchPacket; r0: bigint; verdict: string }[] = [];
  const flush = () => {
    if (!pending.length) return;
    const result = batched.runBatch(pending.map((p) => p.packet), hosts.batch.host.now);
    pending.forEach((p, j) => {
      assert.equal(result.faults[j] ?? null, null, `batch packet ${j}`);
      assert.equal(result.r0(j), p.r0, `batch packet ${j}: r0`);
      assert.equal(result.verdicts[j], p.verdict);
    });
    pending = [];
  };
  const all = Object.values(hosts).map((h) => h.host);
  for (let i = 0; i < 1500; i++) {
    const roll = next(40);
    if (roll === 0) {
      flush();
      // now and then backwards (a clock stepped back): an expired status is live again
      const advance = [2, 6, 31, -4][next(4)]!;
      for (const h of all) h.now += advance;
    } else if (roll === 1) {
      // the host changes a status between runs (a merged event, a solved challenge)
      flush();
      const ip = packetFrom(next(12)).meta.srcIp;
      const entry = { status: next(4), expiry: next(2) ? 0 : Math.floor(all[0]!.now) + 3 };
      for (const h of all) h.state.setStatus(ip, entry);
    }
    const packet = packetFrom(next(12));
    const a = interp.run(packet.ip, packet.meta, hosts.interp.host.now);
    const b = single.run(packet.ip, packet.meta, hosts.single.host.now);
    assert.equal(a.fault, null, `packet ${i}`);
    assert.deepEqual({ r0: b.r0, verdict: b.verdict, fault: b.fault, status: b.effects.statusChange }, { r0: a.r0, verdict: a.verdict, fault: null, status: a.effects.statusChange }, `packet ${i}`);
    pending.push({ packet, r0: a.r0, verdict: a.verdict });
    if (pending.length === 20) flush();
  }
  flush();
  const stateOf = (h: FakeClockHost) => [...h.state.statuses.entries()];
  assert.deepEqual(stateOf(hosts.single.host), stateOf(hosts.interp.host));
  assert.deepEqual(stateOf(hosts.batch.host), stateOf(hosts.interp.host));
  // The cache served repeat sources: fewer lookups reached the host than the interpreter made.
  assert.ok(hosts.single.lookups() < hosts.interp.lookups() * 0.8, `single: ${hosts.single.lookups()} of ${hosts.interp.lookups()} lookups reached the host`);
  assert.ok(hosts.batch.lookups() < hosts.interp.lookups() * 0.8, `batch: ${hosts.batch.lookups()} of ${hosts.interp.lookups()} lookups reached the host`);
});

test('status cache - an answer is kept under the source the host looked up, not under the packet that asked', () => {
  const host = new FakeClockHost();
  const instance = new ProgramInstance(program, host, { engine: 'wasm', statusCache: true });
  const reference = new ProgramInstance(program, host, { engine: 'interp' });
  const a = udp4({ src: [10, 0, 0, 1], dstPort: 207, payload: [0] });
  const b = udp4({ src: [10, 0, 0, 2], dstPort: 207, payload: [0] });
  host.state.setStatus(a.meta.srcIp, { status: 3, expiry: 0 });
  host.state.setStatus(b.meta.srcIp, { status: 2, expiry: 0 });
  // In step with the interpreter (the program's global carries over from run to run).
  const same = (ip: Uint8Array, meta: typeof a.meta) => {
    const r0 = reference.run(ip, meta, host.now).r0;
    assert.equal(instance.run(ip, meta, host.now).r0, r0);
    return r0;
  };
  // a's header, b's metadata: the host answers for b, and that answer is kept under b only
  same(a.ip, b.meta);
  same(a.ip, a.meta);
  same(a.ip, a.meta);
  same(b.ip, b.meta);
  assert.notEqual(same(a.ip, a.meta) & 0xff00n, same(b.ip, b.meta) & 0xff00n, 'a and b read different statuses');
});

test('status cache - a clock stepped back makes an expired status live again, and the cache says so', () => {
  const host = new FakeClockHost();
  const instance = new ProgramInstance(program, host, { engine: 'wasm', statusCache: true });
  const reference = new ProgramInstance(program, host, { engine: 'interp' });
  const p = udp4({ src: [10, 0, 0, 1], dstPort: 207, payload: [0] }); // action 0: sets nothing
  host.state.setStatus(p.meta.srcIp, { status: 2, expiry: Math.floor(host.now) + 5 });
  const same = () => {
    const r0 = reference.run(p.ip, p.meta, host.now).r0;
    assert.equal(instance.run(p.ip, p.meta, host.now).r0, r0, `at ${host.now}`);
    return r0 & 0xffn; // get_src_ip_status's first answer (+8)
  };
  assert.equal(same(), 8n, 'live');
  host.now += 10;
  assert.equal(same(), 7n, 'expired');
  assert.equal(same(), 7n, 'expired, from the cache');
  host.now -= 8;
  assert.equal(same(), 8n, 'live again');
});

test('status cache - off for a store without statusVersion: every lookup reaches the host', () => {
  const host = new FakeClockHost();
  let lookups = 0;
  const inner = new InMemoryState();
  const store: StateStore = {
    getStatus: (ip, now) => { lookups++; return inner.getStatus(ip, now); },
    setStatus: (ip, entry) => inner.setStatus(ip, entry),
    getIpData: (ip) => inner.getIpData(ip),
    setIpData: (ip, v) => inner.setIpData(ip, v),
    getFlowData: (f) => inner.getFlowData(f),
    setFlowData: (f, v) => inner.setFlowData(f, v),
  };
  (host as { state: StateStore }).state = store;
  const instance = new ProgramInstance(program, host, { engine: 'wasm', statusCache: true });
  const p = udp4({ src: [10, 0, 0, 1], dstPort: 207, payload: [0] });
  inner.setStatus(p.meta.srcIp, { status: 2, expiry: 0 });
  for (let i = 0; i < 10; i++) instance.run(p.ip, p.meta, host.now);
  assert.equal(lookups, 60); // six reads a packet
});
