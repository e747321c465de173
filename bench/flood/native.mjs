// The C parts of bench/flood (sender, relay, echo origin): built with the system cc into a
// temporary folder at every run (libc only, a second or two), then run as child processes.
import { spawn, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const HERE = new URL('./', import.meta.url).pathname;

export function build(dir) {
  const out = {};
  for (const name of ['sender', 'relay', 'echo']) {
    out[name] = join(dir, name);
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-pthread', '-o', out[name], join(HERE, `${name}.c`)], { stdio: 'inherit' });
  }
  return out;
}

/**
 * A long-running C helper (relay or echo): first line {"port"}, then one JSON line of counters per
 * SIGUSR1. Returns { pid, port, counters(), stop() }.
 */
export async function startDaemon(binary, args) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  child.once('exit', (code) => { for (const w of waiting.splice(0)) w.reject(new Error(`${binary} exited (code ${code})`)); });
  createInterface({ input: child.stdout }).on('line', (text) => {
    const value = JSON.parse(text);
    const next = waiting.shift();
    if (next) next.resolve(value); else lines.push(value);
  });
  const nextLine = () => new Promise((resolve, reject) => {
    if (lines.length) return resolve(lines.shift());
    if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${binary} has exited`));
    waiting.push({ resolve, reject });
  });
  const { port } = await nextLine();
  return {
    pid: child.pid,
    port,
    async counters() {
      child.kill('SIGUSR1');
      const line = await nextLine();
      return { at: performance.now(), ...line };
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise((resolve) => { child.once('exit', resolve); child.kill('SIGTERM'); });
    },
  };
}

/** Runs the flood sender once; resolves with what it printed ({sent, seconds, rate, …}). */
export function runSender(binary, { port, count, seconds, rate = 0, sources, first = 0, payload = 64, fixedPorts = false }) {
  const args = ['--fixed-ports', fixedPorts ? '1' : '0', '--dst', `127.0.0.1:${port}`, '--count', String(Math.ceil(count)), '--seconds', String(seconds), '--rate', String(Math.round(rate)), '--sources', String(sources), '--first', String(first), '--payload', String(payload)];
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => { out += chunk; });
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`sender exited with code ${code}`))));
  });
}

/** Datagrams the kernel dropped at the UDP sockets bound to 127.0.0.1:port (receive buffer full), from /proc/net/udp. */
export function kernelDrops(port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let drops = 0;
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local) drops += Number(f[f.length - 1]);
  }
  return drops;
}

/**
 * The premise of the harness, checked at every run: datagrams with spoofed 127.x.y.z sources,
 * written by the raw sender, reach a UDP socket bound to 127.0.0.1 (no rp_filter or martian drop
 * on lo), from as many distinct addresses as were sent. Resolves with { sent, received, distinct }.
 */
export async function checkSpoofing(binary, { count = 2000, first = 15_000_000 } = {}) {
  const { createSocket } = await import('node:dgram');
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const sources = new Set();
  let received = 0;
  socket.on('message', (_data, rinfo) => { received++; sources.add(rinfo.address); });
  const sent = await runSender(binary, { port: socket.address().port, count, seconds: 2, rate: 20_000, sources: count, first });
  await new Promise((r) => setTimeout(r, 300));
  socket.close();
  return { sent: sent.sent, received, distinct: sources.size };
}
