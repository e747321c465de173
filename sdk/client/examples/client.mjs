#!/usr/bin/env node
// A game client using the SDK: connects, sends a few packets at once (held while the challenge is
// solved in a worker, then delivered in order), prints the events and the server's replies.
//   node sdk/client/examples/client.mjs [host] [port]
import { FlowshieldSocket } from '@flowshield/client';

const host = process.argv[2] ?? '127.0.0.1';
const port = Number(process.argv[3] ?? 27015);
const s = await FlowshieldSocket.connect({ host, port, holdAfterHelloMs: 500 });
let replies = 0;
s.on('challenge', (c) => console.log(`challenge: ${c.subPuzzles} × ${c.difficulty} bits (~${c.expectedTries} hashes)`));
s.on('progress', (p) => process.stdout.write(`\rsolving… ${(p.fraction * 100).toFixed(0)}%`));
s.on('verified', (v) => console.log(`\nanswered after ${v.solveMs.toFixed(1)} ms (${v.tries} hashes); ${v.flushed} held packets sent`));
s.on('error', (err) => console.error('error:', err.message));
s.on('message', async (buf) => {
  console.log(`server: ${buf.toString()}`);
  if (++replies === 5) await s.close();
});
for (let i = 1; i <= 5; i++) s.send(`move ${i}`);
setTimeout(async () => { console.log('no replies in 15 s'); await s.close(); process.exitCode = 1; }, 15_000).unref();
