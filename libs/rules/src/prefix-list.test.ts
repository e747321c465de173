import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePrefixList } from '@flowshield/proto';
import { parsePrefixListText, prefixListFromFile, prefixListToFile } from './list-file.js';
import { PrefixList, PrefixListBuilder } from './prefix-list.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}

/** The reference: scan every prefix, keep the longest that contains the address. */
function naive4(addr: Uint32Array, len: Uint8Array, a: number): number {
  let best = -1;
  for (let i = 0; i < len.length; i++) {
    const l = len[i]!;
    const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
    if (((a & mask) >>> 0) === addr[i] && (best < 0 || l > len[best]!)) best = i;
  }
  return best;
}

function naive6(addr: Uint32Array, len: Uint8Array, a: Uint32Array): number {
  let best = -1;
  for (let i = 0; i < len.length; i++) {
    const l = len[i]!;
    let ok = true;
    for (let w = 0; w < 4 && ok; w++) {
      const keep = Math.max(0, Math.min(32, l - w * 32));
      const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
      ok = ((a[w]! & mask) >>> 0) === addr[i * 4 + w];
    }
    if (ok && (best < 0 || l > len[best]!)) best = i;
  }
  return best;
}

test('rules prefix list - longest match among nested prefixes', () => {
  const l = PrefixList.fromTexts(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3', '0.0.0.0/0', '2001:db8::/32', '2001:db8:1::/48', '::/0']);
  const at = (text: string) => {
    const [a, b, c, d] = text.split('.').map(Number);
    const i = l.lookup4((((a! << 24) | (b! << 16) | (c! << 8) | d!) >>> 0));
    return i < 0 ? null : l.prefixText(4, i);
  };
  assert.equal(at('10.1.2.3'), '10.1.2.3');
  assert.equal(at('10.1.2.4'), '10.1.2.0/24');
  assert.equal(at('10.1.3.0'), '10.1.0.0/16');
  assert.equal(at('10.2.0.0'), '10.0.0.0/8');
  assert.equal(at('11.0.0.0'), '0.0.0.0/0');
  assert.equal(at('255.255.255.255'), '0.0.0.0/0');
  const six = (words: number[]) => l.prefixText(6, l.lookup6(Uint32Array.from(words), 0));
  assert.equal(six([0x20010db8, 0x00010000, 0, 1]), '2001:db8:1::/48');
  assert.equal(six([0x20010db8, 0x00020000, 0, 1]), '2001:db8::/32');
  assert.equal(six([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]), '::/0');
});

test('rules prefix list - a list without a default misses outside its prefixes; duplicates collapse', () => {
  const l = PrefixList.fromTexts(['192.0.2.0/24', '192.0.2.0/24', '255.255.255.255']);
  assert.equal(l.size, 2);
  assert.equal(l.lookup4(0xc0000200 - 1), -1);
  assert.equal(l.lookup4(0xc0000300), -1);
  assert.ok(l.lookup4(0xc00002ff) >= 0);
  assert.ok(l.lookup4(0xffffffff) >= 0);
  assert.equal(l.lookup6(new Uint32Array(4), 0), -1);
});

test('rules prefix list - text form: comments, blank lines, a bad line named', () => {
  const l = parsePrefixListText('# abusers\n192.0.2.0/24\n\n2001:db8::/32  # a range\n198.51.100.7\n');
  assert.deepEqual([...l.texts()], ['192.0.2.0/24', '198.51.100.7', '2001:db8::/32']);
  assert.throws(() => parsePrefixListText('192.0.2.0/24\n192.0.2.1/24\n'), /line 2: .*bits set below/);
  assert.throws(() => parsePrefixListText('10.0.0.0/33'), /line 1: prefix length/);
});

test('rules prefix list - 1M IPv4 and 200k IPv6 prefixes: matches a naive scan on random samples, and round-trips the object form', () => {
  const next = rng(0xfeed);
  const b = new PrefixListBuilder();
  for (let i = 0; i < 1_050_000; i++) {
    const len = i % 1000 === 0 ? 8 + (next() % 8) : 16 + (next() % 17); // mostly /16 … /32, a few short ones that many nest in
    const mask = (0xffffffff << (32 - len)) >>> 0;
    b.add4((next() & mask) >>> 0, len);
  }
  for (let i = 0; i < 200_000; i++) {
    const len = 16 + (next() % 113);
    const w = [0x20000000 | (next() & 0x1fff0000) | (next() & 0xffff), next(), next(), next()];
    for (let k = 0; k < 4; k++) {
      const keep = Math.max(0, Math.min(32, len - k * 32));
      w[k] = keep === 0 ? 0 : (w[k]! & ((0xffffffff << (32 - keep)) >>> 0)) >>> 0;
    }
    b.add6(w, len);
  }
  const list = b.build();
  assert.ok(list.v4Len.length >= 1_000_000, `${list.v4Len.length} IPv4 prefixes`);
  for (let i = 0; i < 300; i++) {
    // half the samples inside a known prefix, half anywhere
    const j = next() % list.v4Len.length;
    const a = i % 2 === 0 ? (list.v4Addr[j]! | (next() & (2 ** (32 - list.v4Len[j]!) - 1))) >>> 0 : next();
    assert.equal(list.lookup4(a), naive4(list.v4Addr, list.v4Len, a), `IPv4 ${a}`);
    const k = next() % list.v6Len.length;
    const a6 = i % 2 === 0 ? list.v6Addr.slice(k * 4, k * 4 + 4) : Uint32Array.of(0x20000000 | (next() & 0x1fffffff), next(), next(), next());
    if (i % 2 === 0) a6[3] = (a6[3]! | (list.v6Len[k]! <= 96 ? next() & (2 ** Math.min(32, 128 - list.v6Len[k]!) - 1) : 0)) >>> 0;
    assert.equal(list.lookup6(a6, 0), naive6(list.v6Addr, list.v6Len, a6), `IPv6 sample ${i}`);
  }
  const file = prefixListToFile(list);
  assert.equal(file.length, 16 + list.v4Len.length * 5 + list.v6Len.length * 17);
  const back = prefixListFromFile(file);
  assert.deepEqual(back.v4Addr, list.v4Addr);
  assert.deepEqual(back.v6Len, list.v6Len);
});

test('rules prefix list - crowded buckets: thousands of nested prefixes under one /16 (IPv4) and one /48 (IPv6), probed at every edge', () => {
  const next = rng(0xb0c4);
  const b = new PrefixListBuilder();
  const base4 = 0xc6330000; // 198.51.0.0/16
  for (let i = 0; i < 3000; i++) {
    const len = 16 + (next() % 17);
    const mask = (0xffffffff << (32 - len)) >>> 0;
    b.add4((base4 | (next() & 0xffff & mask)) >>> 0, len);
  }
  // 2001:db8:1::/48: every start below shares bits 0-47, so the full addresses decide
  const base6 = [0x20010db8, 0x00010000];
  for (let i = 0; i < 3000; i++) {
    const len = 48 + (next() % 81);
    const w = [base6[0]!, (base6[1]! | (next() & 0xffff)) >>> 0, next(), next()];
    for (let k = 1; k < 4; k++) {
      const keep = Math.max(0, Math.min(32, len - k * 32));
      w[k] = keep === 0 ? 0 : (w[k]! & ((0xffffffff << (32 - keep)) >>> 0)) >>> 0;
    }
    b.add6(w, len);
  }
  b.add6([0x20010db8, 0, 0, 0], 32);
  const list = b.build();
  const probes4: number[] = [base4 - 1, base4, (base4 | 0xffff) >>> 0, base4 + 0x10000];
  for (let i = 0; i < list.v4Len.length; i++) {
    const start = list.v4Addr[i]!;
    const end = (start | (2 ** (32 - list.v4Len[i]!) - 1)) >>> 0;
    probes4.push(start, (start - 1) >>> 0, end, (end + 1) >>> 0);
  }
  for (const a of probes4) assert.equal(list.lookup4(a), naive4(list.v4Addr, list.v4Len, a), `IPv4 ${a}`);
  for (let i = 0; i < list.v6Len.length; i++) {
    const start = list.v6Addr.slice(i * 4, i * 4 + 4);
    const end = Uint32Array.from(start, (v, k) => {
      const keep = Math.max(0, Math.min(32, list.v6Len[i]! - k * 32));
      return (v | (keep === 32 ? 0 : 0xffffffff >>> keep)) >>> 0;
    });
    const after = Uint32Array.from(end);
    for (let k = 3; k >= 0; k--) { after[k] = (after[k]! + 1) >>> 0; if (after[k] !== 0) break; }
    const before = Uint32Array.from(start);
    for (let k = 3; k >= 0; k--) { const v = before[k]!; before[k] = (v - 1) >>> 0; if (v !== 0) break; }
    for (const a of [start, end, after, before]) assert.equal(list.lookup6(a, 0), naive6(list.v6Addr, list.v6Len, a), `IPv6 ${[...a].map((v) => v.toString(16))}`);
  }
});

test('rules prefix list - the object form refuses damage', () => {
  const file = prefixListToFile(PrefixList.fromTexts(['10.0.0.0/8', '10.1.0.0/16']));
  assert.throws(() => decodePrefixList(file.subarray(0, file.length - 1)), /do not hold/);
  const swapped = file.slice();
  swapped[16 + 8] = 16; swapped[16 + 9] = 8; // lengths swapped: 10.0.0.0/16 then 10.1.0.0/8 (host bits set)
  assert.throws(() => decodePrefixList(swapped), /bits set|order/);
  const badMagic = file.slice(); badMagic[0] = 0;
  assert.throws(() => decodePrefixList(badMagic), /FSPL/);
});
