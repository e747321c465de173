// Runs each protocol example over its committed capture the way `flowshield test PROG.o
// CAPTURE` does (the CLI's compile, load, test host and capture runner, both engines, objects
// for -mcpu=v1 and v3) and checks the verdict of every packet by its name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileProgram } from '../../../cli/dist/commands/compile.js';
import { loadProgramFile, readInput } from '../../../cli/dist/commands/load.js';
import { packetJson } from '../../../cli/dist/program-test/report.js';
import { runCapture } from '../../../cli/dist/program-test/run-capture.js';
import { TestHost } from '../../../cli/dist/program-test/test-host.js';
import { CAPTURE_START, EXAMPLE_CAPTURES, capturePcap, type NamedPacket } from './example-captures.js';
import { loadCompiler } from '@flowshield/vm';

// `flowshield test` prepares the engine before it runs a capture; so does this.
await loadCompiler();

const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));
const capturesDir = join(examplesDir, 'captures');

/** pass / drop with nothing sent; challenge = drop with a challenge payload sent to the source. */
type Verdict = 'pass' | 'drop' | 'challenge';
/** A verdict, and `verified` when the packet moves its source to VERIFIED. */
type Expected = Verdict | { verdict: Verdict; verified: true };

interface PacketResult {
  name: string;
  json: Record<string, unknown>;
}

/** `flowshield test PROG CAPTURE --json` for one object and engine, each line with its packet's name. */
function runExample(object: string, capturePath: string, packets: readonly NamedPacket[], engine: 'wasm' | 'interp'): PacketResult[] {
  const loaded = loadProgramFile(object, {});
  const outcomes = [...runCapture(loaded, readInput(capturePath), { failVerdict: 'drop', engine, host: new TestHost({ seed: 1 }) })];
  assert.equal(outcomes.length, packets.length);
  return outcomes.map((o, i) => ({ name: packets[i]!.name, json: packetJson(o) }));
}

function checkVerdicts(results: readonly PacketResult[], expected: Readonly<Record<string, Expected>>, where: string): void {
  assert.deepEqual(results.map((r) => r.name).sort(), Object.keys(expected).sort(), `${where}: every packet has an expected verdict`);
  for (const { name, json } of results) {
    const want = expected[name]!;
    const verdict = typeof want === 'string' ? want : want.verdict;
    const at = `${where}: ${JSON.stringify(name)} (#${String(json.index)})`;
    assert.equal(json.error, undefined, `${at}: ${String(json.error)}`);
    assert.equal(json.ignored, undefined, `${at} reaches the program`);
    assert.equal(verdict === 'challenge' ? 'drop' : verdict, json.verdict, `${at}: verdict`);
    assert.equal(json.challenge !== null, verdict === 'challenge', `${at}: challenge ${String(json.challenge)}`);
    if (typeof want === 'object') assert.equal((json.status as { to: number } | null)?.to, 2, `${at}: becomes VERIFIED`);
    else assert.equal(json.status, null, `${at}: no status change`);
  }
}

/**
 * Checks an example: its committed capture is what example-captures.ts generates, and every
 * build of the program gives every packet its expected verdict on both engines.
 */
function checkExample(example: string, expected: Readonly<Record<string, Expected>>, more?: (results: PacketResult[], packets: readonly NamedPacket[]) => void): void {
  const packets = EXAMPLE_CAPTURES[example]!();
  const capturePath = join(capturesDir, `${example}.pcap`);
  assert.ok(Buffer.from(readFileSync(capturePath)).equals(Buffer.from(capturePcap(packets))),
    `${capturePath} is what programs/test/src/generate-captures.ts writes (run it after changing example-captures.ts)`);
  const scratch = mkdtempSync(join(tmpdir(), 'flowshield-examples-'));
  try {
    for (const mcpu of ['v1', 'v3']) {
      const object = compileProgram(join(examplesDir, `${example}.c`), { output: join(scratch, `${example}-${mcpu}.o`), mcpu });
      for (const engine of ['wasm', 'interp'] as const) {
        const results = runExample(object, capturePath, packets, engine);
        checkVerdicts(results, expected, `${example}.c -mcpu=${mcpu} ${engine}`);
        more?.(results, packets);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

const repeat = (count: number, name: (i: number) => string, verdict: Expected): Record<string, Expected> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [name(i + 1), verdict]));

test('examples - a2s_query.c: queries challenged by the edge, verified sources pass within their rate, reflections and malformed queries dropped', () => {
  checkExample('a2s_query', {
    'A2S_INFO from a new client': 'challenge',
    'A2S_INFO repeating the edge challenge': { verdict: 'pass', verified: true },
    'A2S_PLAYER asking for a challenge, verified client': 'pass',
    'A2S_RULES with the server challenge, verified client': 'pass',
    ...repeat(17, (i) => `verified client query ${i} of the burst`, 'pass'),
    'verified client query over the burst': 'drop',
    'A2S_INFO with a guessed challenge': 'challenge',
    'A2S_PLAYER asking for a challenge, new source': 'challenge',
    "A2S_INFO with another source's challenge": 'challenge',
    'A2S_INFO with the challenge for another port': 'challenge',
    'A2S_INFO with the previous window challenge': { verdict: 'pass', verified: true },
    'A2S_INFO with a challenge two windows old': 'challenge',
    'A2S_INFO over IPv6 from a new client': 'challenge',
    'A2S_INFO over IPv6 repeating the edge challenge': { verdict: 'pass', verified: true },
    'A2S_INFO padded to 1200 bytes': 'drop',
    'A2S_INFO with a misspelt query string': 'drop',
    'A2S_INFO truncated to 24 bytes': 'drop',
    'A2S_INFO with a 3-byte challenge': 'drop',
    'A2S_PLAYER of 13 bytes': 'drop',
    'split packet header': 'drop',
    'reflected S2C_CHALLENGE': 'drop',
    'reflected S2A_INFO short answer': 'drop',
    'reflected S2A_INFO full answer': 'drop',
    'deprecated A2A_PING': 'drop',
    'game traffic on the query port': 'drop',
    'empty datagram': 'drop',
  }, (results, packets) => {
    // The challenge sent is S2C_CHALLENGE with the number the client's next query repeats, and
    // it is never larger than the query that triggered it.
    const challenge = String(results[0]!.json.challenge);
    const next = packets[1]!.frame;
    assert.equal(challenge, 'ffffffff41' + Buffer.from(next.subarray(next.length - 4)).toString('hex'));
    for (const r of results.filter((r) => r.json.challenge !== null)) assert.equal(String(r.json.challenge).length, 18, r.name);
    const verified = results.find((r) => r.name === 'A2S_INFO repeating the edge challenge')!;
    assert.equal((verified.json.status as { expiry: number }).expiry, CAPTURE_START + 600);
  });
});

test('examples - raknet_ping.c: offline messages need the magic and their exact layout; pings are budgeted per source', () => {
  checkExample('raknet_ping', {
    'unconnected ping': 'pass',
    'unconnected ping, open connections': 'pass',
    'unconnected ping over IPv6': 'pass',
    'ping with a wrong magic': 'drop',
    'ping one byte short': 'drop',
    'ping one byte long': 'drop',
    'ping padded to 1400 bytes': 'drop',
    'open connection request 1 probing MTU 1492': 'pass',
    'open connection request 1 without the magic': 'drop',
    'open connection request 2, IPv4 server address': 'pass',
    'open connection request 2, IPv6 server address': 'pass',
    'open connection request 2 of 40 bytes': 'drop',
    'reflected unconnected pong': 'drop',
    'reflected open connection reply 1': 'drop',
    'connected frame set': 'pass',
    'connected ACK': 'pass',
    'unknown offline id 0x09': 'drop',
    'empty datagram': 'drop',
    ...repeat(20, (i) => `ping ${i} of 20 from one source`, 'pass'),
    'ping 21 from one source in the same window': 'drop',
    'ping from the same source in the next window': 'pass',
  });
});

test('examples - voip.c: SIP request and status lines on 5060, RTP version, payload type and SSRC, RTCP reports', () => {
  checkExample('voip', {
    'SIP INVITE': 'pass',
    'SIP REGISTER with a sips: URI': 'pass',
    'SIP OPTIONS with a tel: URI': 'pass',
    'SIP INVITE over IPv6': 'pass',
    'SIP 200 OK response': 'pass',
    'SIP unknown method': 'drop',
    'SIP lower-case method': 'drop',
    'SIP request line with version 3.0': 'drop',
    'SIP request with an http: URI': 'drop',
    'SIP response with a non-numeric status': 'drop',
    'SIP INVITE of 1400 bytes': 'drop',
    'SIP request line longer than 256 bytes': 'drop',
    'SIP request line without CRLF': 'drop',
    'binary garbage to port 5060': 'drop',
    'RTP PCMU, first packet of the flow': 'pass',
    'RTP PCMU, same SSRC': 'pass',
    'RTP with marker bit and the same SSRC': 'pass',
    'RTP injected into the flow with another SSRC': 'drop',
    'RTP Opus, dynamic payload type 111': 'pass',
    'RTP with two CSRCs': 'pass',
    'RTP version 1': 'drop',
    'RTP payload type 72 (collides with RTCP)': 'drop',
    'RTP payload type 50 (unassigned)': 'drop',
    'RTP header truncated to 8 bytes': 'drop',
    'RTP claiming 15 CSRCs in 40 bytes': 'drop',
    'RTCP receiver report': 'pass',
    'RTCP sender report': 'pass',
    'RTCP compound starting with SDES': 'drop',
    'RTCP length beyond the datagram': 'drop',
    'RTP to port 20002, outside the media range': 'drop',
    'datagram to port 9999': 'drop',
  });
});

test('examples - wireguard.c: message types, exact lengths and zero reserved bytes; initiations budgeted per source', () => {
  checkExample('wireguard', {
    'handshake initiation': 'pass',
    'handshake initiation over IPv6': 'pass',
    'handshake initiation with a reserved byte set': 'drop',
    'handshake initiation of 149 bytes': 'drop',
    'handshake initiation of 147 bytes': 'drop',
    'handshake response': 'pass',
    'handshake response of 148 bytes': 'drop',
    'cookie reply': 'pass',
    'cookie reply of 148 bytes': 'drop',
    'transport keepalive (32 bytes)': 'pass',
    'transport data of 1440 bytes': 'pass',
    'transport data of 100 bytes': 'drop',
    'transport data of 16 bytes': 'drop',
    'message type 5': 'drop',
    'three bytes': 'drop',
    'empty datagram': 'drop',
    ...repeat(10, (i) => `initiation ${i} of a burst of 10`, 'pass'),
    'initiation 11 of the burst': 'drop',
    'initiation a second after the burst': 'pass',
  });
});
