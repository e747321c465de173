import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ipToBytes16, type StatusEvent } from '@flowshield/proto';
import { ReplicaReader, ReplicaWriter } from '@flowshield/replica';
import { loadCompiler, loadProgram, ProgramInstance, type HostEnvironment, type PacketMeta } from '@flowshield/vm';
import { TenantState } from './state-overlay.js';
import { compileExample } from './testing/harness.js';

/*
 * The edge runs its programs with the VM's status cache on (tenant-runtime.ts), trusting
 * TenantState.statusVersion to move whenever an answer may change. Over a real replica: a
 * source the program has seen is answered anew after the state service commits its status, after
 * the edge sets one, and once that status expires.
 */
const GATE = `#include <flowshield.h>
SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view pkt;
    if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK)
        return FS_DROP;
    u8 status = FS_STATUS_NONE;
    fs_get_src_ip_status(&status, 0);
    return status == FS_STATUS_VERIFIED ? FS_PASS : FS_DROP;
}
`;

/** An IPv4/UDP packet from `src`, as the edge writes the headers, and its metadata. */
function packetFrom(src: string): { ip: Uint8Array; meta: PacketMeta } {
  const ip = new Uint8Array(28 + 4);
  ip[0] = 0x45;
  ip[2] = 0; ip[3] = ip.length;
  ip[8] = 64; ip[9] = 17;
  ip.set(src.split('.').map(Number), 12);
  ip.set([198, 51, 100, 1], 16);
  ip[20] = 0x9c; ip[21] = 0x40; ip[22] = 0; ip[23] = 207; ip[24] = 0; ip[25] = 12;
  return { ip, meta: { srcIp: ipToBytes16(src), dstIp: ipToBytes16('198.51.100.1'), srcPort: 40000, dstPort: 207, ipVersion: 4, payload: ip.subarray(28) } };
}

test('edge status cache - a replica commit, a status set here and an expiry each change the next answer', async (t) => {
  await loadCompiler();
  const dir = mkdtempSync(join(tmpdir(), 'flowshield-status-cache-'));
  const writer = ReplicaWriter.open(join(dir, 'replica'));
  const replica = { current: ReplicaReader.open(join(dir, 'replica')) };
  t.after(async () => { await replica.current.close(); await writer.close(); });
  const state = new TenantState('acme', null, replica);
  let now = 1_800_000_000;
  const host: HostEnvironment = {
    state, clock: { now: () => now, monotonicNs: () => 0n }, random: () => 4, hmacKey: null, challengesEnabled: false,
    allowChallenge: () => false, allowReply: () => false, challenge: null, counter: () => undefined,
  };
  const source = join(dir, 'gate.c');
  writeFileSync(source, GATE);
  const program = loadProgram(compileExample('gate.c', source));
  const instance = new ProgramInstance(program, host, { engine: 'wasm', statusCache: true });
  const player = packetFrom('10.9.8.7');
  let lookups = 0;
  const getStatus = state.getStatus.bind(state);
  state.getStatus = (ip, at) => { lookups++; return getStatus(ip, at); };
  const verdict = () => instance.runBatch([player, player, player], now).verdicts.join(' ');

  assert.equal(verdict(), 'drop drop drop', 'unknown: dropped');
  assert.equal(lookups, 1, 'the repeats answered from the cache');
  // Another edge verified the player; the state service commits it into the replica.
  const event: StatusEvent = {
    tenant: 'acme', ip: ipToBytes16('10.9.8.7'), prevStatus: 1, status: 2, expiry: now + 60, hlcWall: (now - 10) * 1000, hlcLogical: 0,
    edgeId: 'edge-b', seq: 1, reason: 2, programVersion: 1,
  };
  writer.merge({ stream: 'FS_EVENTS', lastSequence: 1, messages: 1, events: [event] });
  await sleep(20); // the reader's snapshot moves between event-loop turns (lmdb-js renews it on a timer)
  assert.equal(verdict(), 'pass pass pass', 'verified by the replica: passed at once');
  // This edge blocks it.
  state.setStatus(ipToBytes16('10.9.8.7'), { status: 3, expiry: now + 30 }, now);
  assert.equal(verdict(), 'drop drop drop', 'blocked here');
  // The block expires; the replica's VERIFIED is older than it, so the source reads as unknown.
  now += 31;
  let before = lookups;
  assert.equal(verdict(), 'drop drop drop');
  assert.equal(lookups - before, 1, 'the cached BLOCKED expired: asked again');
  before = lookups;
  assert.equal(verdict(), 'drop drop drop');
  assert.equal(lookups - before, 0, 'nothing changed since: all from the cache');
});
