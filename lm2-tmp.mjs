import { open } from 'lmdb';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const N = 400_000, B = Number(process.argv[2] ?? 10_000);
const items = Array.from({ length: N }, (_, i) => { const r = (i * 2654435761) % 200_000; const k = Buffer.alloc(21); k[0]=4; k.write('acme',1); k[15]=255;k[16]=255; k.writeUInt32BE(r|0x0a000000,17); return [k, Buffer.alloc(46, i & 255)]; });
for (const opts of [{}, { noSync: true }, { useWritemap: true }, {noSync:true,useWritemap:true}]) {
  const dir = mkdtempSync(join(tmpdir(), 'lmb-'));
  const root = open({ path: dir, maxDbs: 4, ...opts }); const db = root.openDB('s', { keyEncoding: 'binary', encoding: 'binary' });
  let tPut = 0, tAll = performance.now();
  for (let i = 0; i < N; i += B) {
    const b = items.slice(i, i + B).sort((x, y) => Buffer.compare(x[0], y[0]));
    root.transactionSync(() => { const t = performance.now(); for (const [k, v] of b) db.put(k, v); tPut += performance.now() - t; }, 0x10002);
  }
  await root.flushed;
  tAll = performance.now() - tAll;
  console.log(JSON.stringify(opts).padEnd(36), Math.round(N / tAll) + 'k/s total', 'puts', Math.round(N / tPut) + 'k/s');
  await root.close(); rmSync(dir, { recursive: true, force: true });
}
