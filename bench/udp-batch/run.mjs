#!/usr/bin/env node
// Datagrams/s received, sent and relayed through @flowshield/udp-batch's native addon and its
// dgram twin, each as a ratio of a bare Node dgram socket measured in the same run. A child
// process floods 64-byte datagrams (with the addon's sendmmsg when it loaded) for the receive and
// relay rows; then, with the addon, a verified client's delivery ratio under overload with one
// socket vs steered to its own (steeringProgram). ~30 s.
// Build first: npx tsc -b libs/udp-batch. Run: node bench/udp-batch/run.mjs [seconds, default 2]
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { native, dgram as twin, nativeUnavailableReason, metaArray, setMeta, steeringProgram, Meta, META_WORDS } from '@flowshield/udp-batch';

const SIZE = 64;
const BATCH = 64;
const LO = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]);
const BUF = 4 << 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (process.argv[2] === '--flood') await flood(Number(process.argv[3]), Number(process.argv[4]));
else if (process.argv[2] === '--client') await client(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
else await main(Number(process.argv[2] ?? 2));

/** The verified-client child: `count` datagrams from 127.0.0.2 to port, evenly over ms. */
async function client(port, count, ms) {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.2', r));
  const payload = Buffer.alloc(SIZE, 2);
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const due = start + (i * ms) / count;
    if (due > Date.now()) await sleep(due - Date.now());
    s.send(payload, port, '127.0.0.1');
  }
  await sleep(50);
  process.exit(0);
}

/** The flood child: sends 64-byte datagrams to port for ms, in batches, as fast as it can. */
async function flood(port, ms) {
  const impl = native ?? twin;
  const sock = await impl.open({ type: 'udp4', address: '127.0.0.1', sendBufferSize: BUF });
  const mem = new Uint8Array(SIZE * 256);
  const meta = metaArray(256);
  for (let i = 0; i < 256; i++) setMeta(meta, i, i * SIZE, SIZE, LO, port);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    sock.send(mem, meta);
    if (impl === twin) await new Promise((r) => setImmediate(r));
  }
  sock.close();
  process.exit(0);
}

/** Kills a child and waits for its exit (at once if it has already exited). */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((r) => child.once('exit', r));
  child.kill();
  return exited;
}

function startFlood(port, ms) {
  return spawn(process.execPath, [new URL(import.meta.url).pathname, '--flood', String(port), String(ms)], { stdio: 'inherit' });
}

/** Counts what `count()` reports over `seconds` while a flood runs at port. */
async function measureUnderFlood(port, seconds, count) {
  const child = startFlood(port, (seconds + 1) * 1000);
  await sleep(300); // warm-up
  const c0 = count(), t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const c1 = count(), t1 = process.hrtime.bigint();
  await stop(child);
  return (c1 - c0) / (Number(t1 - t0) / 1e9);
}

// ---- receive ----

async function recvBatched(impl, seconds) {
  const sock = await impl.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: BUF });
  const region = { memory: new Uint8Array(2048 * BATCH), offset: 0, stride: 2048, count: BATCH };
  const meta = metaArray(BATCH);
  let n = 0;
  sock.onReadable(() => { for (let k; (k = sock.recv(region, meta)) > 0;) n += k; });
  const rate = await measureUnderFlood(sock.address().port, seconds, () => n);
  sock.close();
  return rate;
}

async function recvBare(seconds) {
  const sock = createSocket({ type: 'udp4', recvBufferSize: BUF });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  let n = 0;
  sock.on('message', () => { n++; });
  const rate = await measureUnderFlood(sock.address().port, seconds, () => n);
  sock.close();
  return rate;
}

// ---- send (to a sink that never reads: the kernel drops what overflows, the sender still sent it) ----

async function sink() {
  const s = createSocket('udp4');
  await new Promise((r) => s.bind(0, '127.0.0.1', r));
  return s;
}

async function sendBatched(impl, seconds) {
  const dst = await sink();
  const sock = await impl.open({ type: 'udp4', address: '127.0.0.1', sendBufferSize: BUF });
  const mem = new Uint8Array(SIZE * BATCH);
  const meta = metaArray(BATCH);
  for (let i = 0; i < BATCH; i++) setMeta(meta, i, i * SIZE, SIZE, LO, dst.address().port);
  let n = 0;
  const t0 = process.hrtime.bigint(), end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    n += sock.send(mem, meta);
    if (impl === twin) await new Promise((r) => setImmediate(r)); // let dgram's queue drain
  }
  await sleep(50);
  const sent = impl === twin ? sock.stats().sent : n;
  const rate = sent / (Number(process.hrtime.bigint() - t0) / 1e9);
  sock.close();
  dst.close();
  return rate;
}

async function sendBare(seconds) {
  const dst = await sink();
  const sock = createSocket({ type: 'udp4', sendBufferSize: BUF });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = dst.address().port;
  const payload = Buffer.alloc(SIZE);
  let n = 0;
  const t0 = process.hrtime.bigint(), end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    for (let i = 0; i < BATCH; i++) sock.send(payload, port, '127.0.0.1', () => { n++; });
    await new Promise((r) => setImmediate(r));
  }
  await sleep(50);
  const rate = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  sock.close();
  dst.close();
  return rate;
}

// ---- relay: receive a batch, point every record at the sink, send the batch ----

async function relayBatched(impl, seconds) {
  const dst = await sink();
  const sock = await impl.open({ type: 'udp4', address: '127.0.0.1', recvBufferSize: BUF, sendBufferSize: BUF });
  const region = { memory: new Uint8Array(2048 * BATCH), offset: 0, stride: 2048, count: BATCH };
  const meta = metaArray(BATCH);
  const port = dst.address().port;
  let n = 0;
  sock.onReadable(() => {
    for (let k; (k = sock.recv(region, meta)) > 0;) {
      for (let i = 0; i < k; i++) meta[i * META_WORDS + Meta.PORT] = port; // same address (127.0.0.1)
      n += sock.send(region.memory, meta, 0, k);
    }
  });
  const rate = await measureUnderFlood(sock.address().port, seconds, () => (impl === twin ? sock.stats().sent : n));
  sock.close();
  dst.close();
  return rate;
}

async function relayBare(seconds) {
  const dst = await sink();
  const sock = createSocket({ type: 'udp4', recvBufferSize: BUF, sendBufferSize: BUF });
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = dst.address().port;
  let n = 0;
  const done = () => { n++; };
  sock.on('message', (msg) => sock.send(msg, port, '127.0.0.1', done));
  const rate = await measureUnderFlood(sock.address().port, seconds, () => n);
  sock.close();
  dst.close();
  return rate;
}

// ---- overload: a flood far above what the consumer handles, plus one verified client ----

/** Simulated per-datagram work (the program, state lookups): makes the consumer the bottleneck. */
function work(us) {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end);
}

async function overload(steered, seconds) {
  const other = await native.open({ type: 'udp4', address: '127.0.0.1', reusePort: true, recvBufferSize: 1 << 20 });
  const port = other.address().port;
  const known = steered ? await native.open({ type: 'udp4', address: '127.0.0.1', port, reusePort: true, recvBufferSize: 1 << 20 }) : null;
  if (known) other.attachReusePortProgram(steeringProgram({ known: [LO.map((b, i) => (i === 15 ? 2 : b))], knownIndex: 1, otherIndex: 0 }).program);
  const region = { memory: new Uint8Array(2048 * BATCH), offset: 0, stride: 2048, count: BATCH };
  const meta = metaArray(BATCH);
  let fromClient = 0, total = 0;
  const take = (sock) => {
    const n = sock.recv(region, meta);
    for (let i = 0; i < n; i++) {
      work(10);
      if (region.memory[meta[i * META_WORDS + Meta.OFFSET]] === 2) fromClient++;
    }
    total += n;
    return n;
  };
  // Known sources first: drain their socket, then one batch of the rest per readiness.
  other.onReadable(() => { if (known) while (take(known) > 0); take(other); });
  known?.onReadable(() => { while (take(known) > 0); });
  const CLIENT = 1000;
  const flooder = startFlood(port, (seconds + 10) * 1000);
  await sleep(300);
  const c = spawn(process.execPath, [new URL(import.meta.url).pathname, '--client', String(port), String(CLIENT), String(seconds * 1000)], { stdio: 'inherit' });
  await new Promise((r) => c.once('exit', r));
  await sleep(100);
  await stop(flooder);
  other.close();
  known?.close();
  return { delivered: fromClient / CLIENT, total };
}

async function main(seconds) {
  const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(12);
  console.log(`udp-batch bench: ${SIZE}-byte datagrams, batches of ${BATCH}, ${seconds} s per figure`);
  console.log(native ? 'native addon: loaded' : `native addon: not loaded (${nativeUnavailableReason}); flood uses the twin`);
  const rows = [
    ['receive', recvBare, recvBatched],
    ['send', sendBare, sendBatched],
    ['relay', relayBare, relayBatched],
  ];
  console.log(`${'datagrams/s'.padEnd(10)} ${'bare dgram'.padStart(12)} ${'twin'.padStart(12)} ${'native'.padStart(12)}   twin/bare  native/bare`);
  for (const [name, bare, batched] of rows) {
    const b = await bare(seconds);
    const t = await batched(twin, seconds);
    const n = native ? await batched(native, seconds) : NaN;
    console.log(`${name.padEnd(10)} ${fmt(b)} ${fmt(t)} ${native ? fmt(n) : '           -'}   ${(t / b).toFixed(2).padStart(8)}x  ${native ? (n / b).toFixed(2).padStart(9) + 'x' : '        -'}`);
  }
  if (!native) return;
  console.log(`\noverload (native; flood from 127.0.0.1, 10 µs of work per datagram, a verified client at 127.0.0.2 sending ${1000} datagrams):`);
  const one = await overload(false, seconds);
  const two = await overload(true, seconds);
  console.log(`  one socket:            client delivery ${(one.delivered * 100).toFixed(1)}% (${fmt(one.total).trim()} datagrams handled)`);
  console.log(`  steered to its socket: client delivery ${(two.delivered * 100).toFixed(1)}% (${fmt(two.total).trim()} datagrams handled); ratio ${(two.delivered / Math.max(one.delivered, 1e-9)).toFixed(1)}x`);
}
