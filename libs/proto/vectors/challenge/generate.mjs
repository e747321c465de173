// Generates v1.json: challenge-protocol test vectors computed independently of libs/proto and
// libs/puzzle (node:crypto HMAC and SHA-256, bytes assembled by hand from the layout in
// libs/proto/src/challenge/layout.ts). The engine (libs/puzzle) and the SDK (sdk/client) both test
// against the file. Run: node libs/proto/vectors/challenge/generate.mjs
import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';

const hex = (b) => Buffer.from(b).toString('hex');
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };

function addr16(text) {
  if (isIPv4(text)) return Buffer.concat([Buffer.alloc(10), Buffer.from([0xff, 0xff]), Buffer.from(text.split('.').map(Number))]);
  // Only fully written or "::"-compressed IPv6 literals appear below.
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

function leadingZeroBits(d) {
  let n = 0;
  for (const byte of d) {
    if (byte === 0) { n += 8; continue; }
    return n + Math.clz32(byte) - 24;
  }
  return n;
}

function makeCase(c) {
  const key = Buffer.from(c.key, 'hex');
  const nonce = Buffer.from(c.nonce, 'hex');
  const head = Buffer.concat([Buffer.from([1]), u32(c.keyId), u32(c.issuedAt), Buffer.from([c.difficulty, c.subPuzzles]), nonce]);
  const client = Buffer.concat([addr16(c.client.address), u16(c.client.port)]);
  const target = Buffer.concat([addr16(c.target.address), u16(c.target.port)]);
  const macInput = Buffer.concat([head, client, target]);
  if (macInput.length !== 55) throw new Error('mac input must be 55 bytes');
  const tag = createHmac('sha256', key).update(macInput).digest().subarray(0, 16);
  const challenge = Buffer.concat([Buffer.from('FSCH'), head, client, tag]);
  const solutions = [];
  for (let i = 0; i < c.subPuzzles; i++) {
    for (let s = 0; ; s++) {
      const d = createHash('sha256').update(Buffer.concat([tag, nonce, Buffer.from([i]), u32(s)])).digest();
      if (leadingZeroBits(d) >= c.difficulty) { solutions.push(s); break; }
    }
  }
  const payload = Buffer.from(c.payload ?? '', 'hex');
  const answer = Buffer.concat([Buffer.from('FSAN'), challenge.subarray(4), ...solutions.map(u32), payload]);
  return { ...c, macInput: hex(macInput), tag: hex(tag), challenge: hex(challenge), solutions, answer: hex(answer) };
}

function failingSolution(c, i) {
  const tag = Buffer.from(c.tag, 'hex');
  const nonce = Buffer.from(c.nonce, 'hex');
  for (let s = c.solutions[i] + 1; ; s++) {
    const d = createHash('sha256').update(Buffer.concat([tag, nonce, Buffer.from([i]), u32(s)])).digest();
    if (leadingZeroBits(d) < c.difficulty) return s;
  }
}

const key1 = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const key2 = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const cases = [
  { name: 'ipv4 single puzzle', key: key1, keyId: 1000, issuedAt: 1_800_000_000, difficulty: 8, subPuzzles: 1, nonce: '0011223344556677',
    client: { address: '198.51.100.7', port: 40000 }, target: { address: '203.0.113.5', port: 207 } },
  { name: 'ipv4 four sub-puzzles with payload', key: key1, keyId: 1000, issuedAt: 1_800_000_010, difficulty: 6, subPuzzles: 4, nonce: '8899aabbccddeeff',
    client: { address: '192.0.2.44', port: 5555 }, target: { address: '203.0.113.5', port: 207 }, payload: '68656c6c6f2067616d65' },
  { name: 'ipv6 eight sub-puzzles', key: key2, keyId: 0xfffffffe, issuedAt: 1_800_000_020, difficulty: 4, subPuzzles: 8, nonce: 'a5a5a5a55a5a5a5a',
    client: { address: '2001:db8::7', port: 65535 }, target: { address: '2001:db8:1::5', port: 27015 } },
  { name: 'zero difficulty', key: key2, keyId: 7, issuedAt: 1_800_000_030, difficulty: 0, subPuzzles: 2, nonce: 'ffffffffffffffff',
    client: { address: '10.0.0.1', port: 1 }, target: { address: '10.0.0.2', port: 2 } },
].map(makeCase);

const verifier = { validitySeconds: 30, futureSkewSeconds: 2 };
const flip = (h, byteIndex, mask = 1) => { const b = Buffer.from(h, 'hex'); b[byteIndex] ^= mask; return hex(b); };
const base = cases[1];
const ctx = (over = {}) => ({ client: base.client, target: base.target, now: base.issuedAt + 5, floorBits: 0, ...over });
const set = (h, off, bytes) => { const b = Buffer.from(h, 'hex'); Buffer.from(bytes).copy(b, off); return hex(b); };
const rejections = [
  { name: 'wrong address', answer: base.answer, ...ctx({ client: { address: '192.0.2.45', port: base.client.port } }), reason: 'wrong_address' },
  { name: 'wrong port', answer: base.answer, ...ctx({ client: { address: base.client.address, port: base.client.port + 1 } }), reason: 'wrong_port' },
  { name: 'wrong protected service', answer: base.answer, ...ctx({ target: { address: base.target.address, port: 208 } }), reason: 'bad_tag' },
  { name: 'expired', answer: base.answer, ...ctx({ now: base.issuedAt + verifier.validitySeconds + 1 }), reason: 'expired' },
  { name: 'future-dated', answer: base.answer, ...ctx({ now: base.issuedAt - verifier.futureSkewSeconds - 1 }), reason: 'future' },
  { name: 'tampered tag', answer: flip(base.answer, 41 + 15), ...ctx(), reason: 'bad_tag' },
  { name: 'tampered nonce', answer: flip(base.answer, 15), ...ctx(), reason: 'bad_tag' },
  { name: 'lowered difficulty', answer: set(base.answer, 13, [base.difficulty - 1]), ...ctx(), reason: 'bad_tag' },
  { name: 'unknown key id', answer: set(base.answer, 5, u32(base.keyId + 1)), ...ctx(), reason: 'unknown_key' },
  { name: 'difficulty below floor', answer: base.answer, ...ctx({ floorBits: base.difficulty + 2 + 1 }), reason: 'difficulty_below_floor' },
  { name: 'bad solution', answer: set(base.answer, 57 + 4 * 2, u32(failingSolution(base, 2))), ...ctx(), reason: 'bad_solution' },
  { name: 'truncated', answer: base.answer.slice(0, 2 * 60), ...ctx(), reason: 'malformed' },
  { name: 'wrong version', answer: set(base.answer, 4, [2]), ...ctx(), reason: 'malformed' },
  { name: 'three sub-puzzles', answer: set(base.answer, 14, [3]), ...ctx(), reason: 'malformed' },
  { name: 'a challenge sent back as answer', answer: base.challenge, ...ctx(), reason: 'malformed' },
];

const file = {
  description: 'flowshield challenge protocol v1 test vectors; layout in libs/proto/src/challenge/layout.ts. Generated by generate.mjs with node:crypto.',
  verifier,
  keys: [
    { keyId: 1000, key: key1, notBefore: 1_799_999_990, notAfter: 1_800_000_050, acceptUntil: 1_800_000_110 },
    { keyId: 0xfffffffe, key: key2, notBefore: 1_799_999_990, notAfter: 1_800_000_050, acceptUntil: 1_800_000_110 },
    { keyId: 7, key: key2, notBefore: 1_799_999_990, notAfter: 1_800_000_050, acceptUntil: 1_800_000_110 },
  ],
  cases,
  rejections,
  replay: { name: 'replayed answer', answer: base.answer, ...ctx(), first: 'ok', second: 'replayed' },
};
writeFileSync(new URL('./v1.json', import.meta.url), `${JSON.stringify(file, null, 2)}\n`);
console.log(`wrote ${cases.length} cases, ${rejections.length} rejections`);
