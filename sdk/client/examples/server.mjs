#!/usr/bin/env node
// An edge-like UDP responder for trying the SDK locally: challenges unknown clients with the real
// puzzle engine and echoes game packets back once they are verified.
//   node sdk/client/examples/server.mjs [port] [difficulty-bits]
// (build first: npx tsc -b sdk/client)
import { DevResponder } from '@flowshield/client';

const port = Number(process.argv[2] ?? 27015);
const bits = Number(process.argv[3] ?? 14);
const responder = await DevResponder.start({
  host: '127.0.0.1', port, difficulty: { bits, subPuzzles: 8 },
  onPacket(payload, from, reply) {
    console.log(`game packet from ${from.address}:${from.port}: ${payload.toString()}`);
    reply(`echo:${payload.toString()}`);
  },
});
const a = responder.address();
console.log(`responder on ${a.address}:${a.port}, asking ${bits} bits of work from new clients; Ctrl-C to stop`);
process.on('SIGINT', async () => {
  console.log(`\n${responder.stats.challenges} challenges sent, ${responder.stats.verified} clients verified, rejected: ${JSON.stringify(responder.stats.rejected)}`);
  await responder.close();
  process.exit(0);
});
