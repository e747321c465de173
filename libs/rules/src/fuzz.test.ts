import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { compileExpr } from './compile.js';
import { ExpressionError } from './errors.js';
import { PacketView } from './packet-view.js';
import { parseExpression } from './parser.js';
import { PrefixList } from './prefix-list.js';
import { udpPacket } from './packets.test-support.js';

const SEEDS = [
  'udp.dstport == 27015 and ip.src in $abusers',
  'ip.src in {192.0.2.0/24 2001:db8::/32} or not udp.payload[0:4] == 0xfeedface',
  'bit_slice("udp", 64, 72) == 0xff && ip.proto == "udp" ^^ ip.ttl < 5',
  'udp.payload matches r"^\\x01[a-z]+" || udp.payload contains "abc" || udp.length in {10..20 30}',
  '!(ip.dst == 2001:db8::1) and udp.srcport & 0x3 and bpf("tail_check")',
];
const lists = new Map([['abusers', PrefixList.fromTexts(['192.0.2.0/24'])]]);
const env = { lists, bpf: () => 1 };
const view = new PacketView();
const packet = udpPacket({ src: '192.0.2.1', dst: '10.0.0.1', payload: 'abcdefgh' });
view.load(packet, 0, packet.length);

/** parse (and, when it parses, compile and run): either a result or an ExpressionError inside the input */
function check(input: string): void {
  let expr;
  try {
    expr = parseExpression(input);
  } catch (err) {
    assert.ok(err instanceof ExpressionError, `not an ExpressionError for ${JSON.stringify(input)}: ${String(err)}`);
    assert.ok(err.start >= 0 && err.start <= input.length, `position ${err.start} outside ${JSON.stringify(input)}`);
    assert.ok(err.line >= 1 && err.column >= 1);
    return;
  }
  try {
    const f = compileExpr(expr, input, env);
    assert.equal(typeof f(view), 'boolean');
  } catch (err) {
    assert.ok(err instanceof ExpressionError, `compile of ${JSON.stringify(input)}: ${String(err)}`);
  }
}

const TOKENS = ['udp.dstport', 'ip.src', 'ip.proto', 'udp.payload', 'ip', 'udp', '[', ']', '0:4', '1-3', '(', ')', '{', '}', '==', '!=', '<', '>=', '&', '&&', '||', '^^', '!',
  'and', 'or', 'xor', 'not', 'in', 'contains', 'matches', '~', '"udp"', '"a\\x41"', 'r#"x"#', '17', '0x1f', '017', '-1', '1000..2000', '192.0.2.1', '10.0.0.0/8',
  '2001:db8::/32', 'aa:bb', '$abusers', '$nope', 'bit_slice', 'bpf', '","', ',', '"', '\\', '\n', ' '];

test('rules fuzz - random token soup never crashes the parser', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), (tokens) => check(tokens.join(' '))), { numRuns: 20_000 });
});

test('rules fuzz - random strings never crash the parser', () => {
  fc.assert(fc.property(fc.string({ maxLength: 80, unit: 'binary' }), check), { numRuns: 20_000 });
});

test('rules fuzz - mutated valid expressions: compile or an error with a position', () => {
  const mutation = fc.tuple(fc.constantFrom(...SEEDS), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 }));
  fc.assert(fc.property(mutation, ([seed, edits]) => {
    let s = seed;
    for (const [at, kind, text] of edits) {
      const i = at % (s.length + 1);
      if (kind === 0) s = s.slice(0, i) + text + s.slice(i); // insert
      else if (kind === 1) s = s.slice(0, i) + s.slice(i + 1); // delete
      else if (kind === 2) s = s.slice(0, i) + text + s.slice(i + text.length); // overwrite
      else s = s.slice(0, i); // truncate
    }
    check(s);
  }), { numRuns: 20_000 });
  for (const seed of SEEDS) assert.doesNotThrow(() => compileExpr(parseExpression(seed), seed, env));
});
