// The native baseline: a C program compiled by clang -O2 for this machine (native/glue.c) and
// run by native/harness.c over the same packets, with a status table in a C hash table.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HERE = new URL('.', import.meta.url).pathname;
const INCLUDE = join(HERE, '../../programs/include');

/** packets: [{ ip, ihl, srcIp (16 bytes) }]; statuses: [{ ip (16 bytes), status, expiry }]. Returns { ns, verdicts }. */
export function runNative(source, packets, statuses, perRound) {
  const dir = mkdtempSync(join(tmpdir(), 'fs-native-'));
  try {
    const glue = join(dir, 'glue.o');
    const harness = join(dir, 'harness');
    execFileSync('clang', ['-O2', '-w', '-ffreestanding', '-I', INCLUDE, `-DPROGRAM="${source}"`, '-c', join(HERE, 'native/glue.c'), '-o', glue]);
    execFileSync('clang', ['-O2', '-w', join(HERE, 'native/harness.c'), glue, '-o', harness]);
    const parts = [u32(packets.length)];
    for (const p of packets) parts.push(u32(p.ip.length), u32(p.ihl), p.srcIp, p.ip);
    parts.push(u32(statuses.length));
    for (const s of statuses) {
      const expiry = Buffer.alloc(8);
      expiry.writeBigUInt64LE(BigInt(s.expiry));
      parts.push(s.ip, Uint8Array.of(s.status), expiry);
    }
    const input = join(dir, 'input.bin');
    writeFileSync(input, Buffer.concat(parts.map((p) => Buffer.from(p))));
    return JSON.parse(execFileSync(harness, [input, String(perRound)], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
