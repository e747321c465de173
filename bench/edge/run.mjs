// Packets/s and added latency through a bare Node UDP relay and through the edge (magic-token
// program; challenge program on verified traffic), measured in the same run.
// Usage: [EDGE_WORKERS=n] node bench/edge/run.mjs [seconds per measurement, default 4]   (EDGE_WORKERS: the edges' `workers`, default the number of cores)
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsTestServer } from '@flowshield/test-support';
import { FlowshieldSocket } from '@flowshield/client';

const ROOT = new URL('../../', import.meta.url).pathname;
const SECONDS = Number(process.argv[2] ?? 4);
const WINDOW = 64; // datagrams in flight
const SEQ_AT = 4;
const CLIENTS = 4;
const dir = mkdtempSync(join(tmpdir(), 'flowshield-bench-edge-'));
const children = [];

function start(args, env = {}) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
  children.push(child);
  return child;
}
const firstLine = (child) => new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));

/** Closed loop: CLIENTS sockets with WINDOW datagrams in flight each; replies/s and round-trip percentiles. */
async function measure(port, payload, localAddress = '127.0.0.1') {
  const runs = await Promise.all(Array.from({ length: CLIENTS }, () => measureOne(port, payload, localAddress)));
  const rtts = runs.flatMap((r) => r.rtts).sort((a, b) => a - b);
  return { rate: runs.reduce((sum, r) => sum + r.rate, 0), p50: rtts[Math.floor(rtts.length * 0.5)] ?? NaN, p99: rtts[Math.floor(rtts.length * 0.99)] ?? NaN };
}

async function measureOne(port, payload, localAddress) {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  await new Promise((r) => socket.bind(0, localAddress, r));
  const sentAt = new Map();
  const rtts = [];
  let seq = 0;
  let received = 0;
  let running = true;
  const send = () => {
    const id = seq++;
    const data = Buffer.from(payload);
    data.writeUInt32BE(id, SEQ_AT);
    sentAt.set(id, process.hrtime.bigint());
    socket.send(data, port, '127.0.0.1');
  };
  socket.on('message', (data) => {
    const id = data.readUInt32BE(SEQ_AT);
    const t0 = sentAt.get(id);
    if (t0 === undefined) return;
    sentAt.delete(id);
    received++;
    rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (running) send();
  });
  // Warm-up, then the timed window; lost datagrams are replaced so the loop never stalls.
  for (let i = 0; i < WINDOW; i++) send();
  const refill = setInterval(() => {
    const now = process.hrtime.bigint();
    for (const [id, t0] of sentAt) if (now - t0 > 200_000_000n) { sentAt.delete(id); if (running) send(); }
  }, 100);
  await new Promise((r) => setTimeout(r, 500));
  received = 0;
  rtts.length = 0;
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = received / elapsed;
  running = false;
  clearInterval(refill);
  socket.close();
  return { rate, rtts };
}

// A 64-byte game packet that passes the example filter: port 207, {version, length 61, token},
// last token byte 0xCF. Bytes 4..7 (inside the token) carry the sequence number.
const token = Buffer.alloc(64);
token[0] = 1;
token.writeUInt16BE(61, 1);
token[63] = 0xcf;

const origin = start([join(ROOT, 'bench/edge/echo-origin.mjs')]);
const originPort = Number(await firstLine(origin));
const relay = start([join(ROOT, 'bench/edge/bare-relay.mjs'), String(originPort)]);
const relayPort = Number(await firstLine(relay));
const nats = await NatsTestServer.start();
const cli = (args) => execFileSync(process.execPath, [join(ROOT, 'cli/bin/flowshield.js'), ...args], { env: { ...process.env, NATS_URL: nats.url, FLOWSHIELD_OPERATOR_KEY: join(dir, 'operator.key') }, encoding: 'utf8' });
// Deployments are signed; the edges trust this run's operator key only.
const operatorKey = JSON.parse(cli(['keys', 'operator', 'init', '--out', dir, '--json'])).publicKey;

async function startEdge(tenant, example) {
  const object = join(dir, `${tenant}.o`);
  cli(['compile', join(ROOT, 'programs/examples', example), '-o', object]);
  cli(['deploy', object, '--tenant', tenant]);
  const config = join(dir, `${tenant}.json`);
  writeFileSync(config, JSON.stringify({ edgeId: `bench-${tenant}`, nats: { servers: [nats.url] }, metrics: { port: 0 }, operatorKeys: [operatorKey], ...(process.env.EDGE_WORKERS ? { workers: Number(process.env.EDGE_WORKERS) } : {}), services: [{ tenant, listen: { host: '127.0.0.1', port: 0 }, public: { port: 207 }, origin: { host: '127.0.0.1', port: originPort }, challenges: { difficultyBits: 4, subPuzzles: 1 } }] }));
  const edge = spawn(process.execPath, [join(ROOT, 'services/edge/bin/edge.js'), '--config', config], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'info' } });
  children.push(edge);
  let port = 0;
  await new Promise((resolve) => createInterface({ input: edge.stdout }).on('line', (line) => {
    const l = JSON.parse(line);
    if (l.msg === 'edge started') port = Number(l.services[0].listen.split(':').pop());
    if (l.msg === 'program deployed') resolve();
  }));
  return port;
}

try {
  const direct = await measure(originPort, token);
  const bare = await measure(relayPort, token);
  const magicPort = await startEdge('magic', 'magic_token.c');
  const magic = await measure(magicPort, token);
  // The challenge program on verified traffic: verify 127.0.0.2 with the SDK first.
  const challengeService = start([join(ROOT, 'services/challenge/bin/challenge.js')], { NATS_URL: nats.url, FLOWSHIELD_CHALLENGE_METRICS_PORT: '0' });
  await new Promise((r) => setTimeout(r, 1500));
  const challengePort = await startEdge('challenge', 'challenge.c');
  await new Promise((r) => setTimeout(r, 1500));
  const sdk = await FlowshieldSocket.connect({ host: '127.0.0.1', port: challengePort, localAddress: '127.0.0.2', holdAfterHelloMs: 500 });
  await new Promise((resolve) => sdk.once('verified', resolve));
  await sdk.close();
  const verified = await measure(challengePort, token, '127.0.0.2');

  const row = (name, m) => `${name.padEnd(34)} ${m.rate.toFixed(0).padStart(8)} pkt/s   rtt p50 ${m.p50.toFixed(0).padStart(5)} µs  p99 ${m.p99.toFixed(0).padStart(6)} µs`;
  console.log(`closed loop, ${CLIENTS} clients × ${WINDOW} datagrams in flight, ${SECONDS} s each, 64-byte packets`);
  console.log(row('direct to the game server', direct));
  console.log(row('bare Node UDP relay (baseline)', bare));
  console.log(row('edge, magic-token program', magic));
  console.log(row('edge, challenge program (verified)', verified));
  for (const [name, m] of [['magic token', magic], ['challenge (verified)', verified]]) {
    const ratio = m.rate / bare.rate;
    console.log(`edge ${name}: ${ratio.toFixed(2)}× the bare relay (target ≥ 0.8×: ${ratio >= 0.8 ? 'MET' : 'NOT MET'}); added latency vs direct p50 ${(m.p50 - direct.p50).toFixed(0)} µs, p99 ${(m.p99 - direct.p99).toFixed(0)} µs; vs the bare relay p50 ${(m.p50 - bare.p50).toFixed(0)} µs`);
  }
} finally {
  for (const child of children) child.kill('SIGTERM');
  await nats.dispose();
}
