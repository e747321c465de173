// Self-check of bench/flood's C parts (a few seconds, root): the sender's safety rules and
// bounds, the echo origin, and the relay's two directions and bounded session table.
// Usage: node bench/flood/check.mjs   (exit code 0 = every check held)
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, checkSpoofing, runSender, startDaemon } from './native.mjs';

const dir = mkdtempSync(join(tmpdir(), 'flowshield-flood-check-'));
const failures = [];
const check = (name, ok, detail = '') => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
  if (!ok) failures.push(name);
};
const daemons = [];

/** count datagrams through `port` from one plain socket on 127.0.0.9; resolves with replies received */
async function roundTrips(port, count) {
  const socket = createSocket('udp4');
  await new Promise((r) => socket.bind(0, '127.0.0.9', r));
  let got = 0;
  socket.on('message', () => { got++; });
  for (let i = 0; i < count; i++) socket.send(Buffer.from(`ping ${i}`), port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 500));
  socket.close();
  return got;
}

try {
  const bins = build(dir);
  const refuse = spawnSync(bins.sender, ['--dst', '10.0.0.1:9', '--count', '1', '--seconds', '1']);
  check('sender refuses a destination outside 127.0.0.0/8', refuse.status === 2 && /refusing/.test(refuse.stderr.toString()));
  const noCount = spawnSync(bins.sender, ['--dst', '127.0.0.1:9', '--seconds', '1']);
  const noTime = spawnSync(bins.sender, ['--dst', '127.0.0.1:9', '--count', '1']);
  check('sender requires both a count and a time limit', noCount.status === 2 && noTime.status === 2);

  const spoof = await checkSpoofing(bins.sender, { count: 1000 });
  check('spoofed 127/8 sources arrive at 127.0.0.1, all distinct', spoof.received === spoof.sent && spoof.distinct === spoof.sent, JSON.stringify(spoof));

  const echo = await startDaemon(bins.echo, []);
  daemons.push(echo);
  check('echo answers every datagram', (await roundTrips(echo.port, 100)) === 100);

  const bounded = await startDaemon(bins.relay, ['--origin', `127.0.0.1:${echo.port}`, '--sessions', '1000']);
  daemons.push(bounded);
  check('relay relays to the origin and back', (await roundTrips(bounded.port, 100)) === 100);
  const byCount = await runSender(bins.sender, { port: bounded.port, count: 5000, seconds: 5, rate: 20_000, sources: 5000 });
  check('sender stops at its packet count', byCount.sent === 5000, JSON.stringify(byCount));
  const byTime = await runSender(bins.sender, { port: bounded.port, count: 1e9, seconds: 0.5, rate: 2_000, sources: 5000, first: 100_000 });
  check('sender stops at its time limit', byTime.seconds < 0.7 && byTime.sent <= 1100, JSON.stringify(byTime));
  await new Promise((r) => setTimeout(r, 300));
  const c = await bounded.counters();
  check('relay session table stays at its bound, evicting the oldest', c.sessions === 1000 && c.evicted === c.created - 1000, JSON.stringify(c));
  check('relay still serves a client after evictions', (await roundTrips(bounded.port, 50)) === 50);
  const few = await runSender(bins.sender, { port: bounded.port, count: 2000, seconds: 2, rate: 20_000, sources: 4, first: 200_000, fixedPorts: true });
  await new Promise((r) => setTimeout(r, 300));
  const d = await bounded.counters();
  check('a few sources with fixed ports are a few sessions', d.created - c.created - 1 === 4 && few.sent === 2000, `${d.created - c.created} created`);
} finally {
  await Promise.allSettled(daemons.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
}
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks held');
process.exitCode = failures.length ? 1 : 0;
