import { isIPv4, isIPv6 } from 'node:net';

/** An address or prefix: IPv4 as one 32-bit word, IPv6 as four big-endian 32-bit words. */
export interface Prefix {
  readonly family: 4 | 6;
  readonly words: readonly number[];
  /** prefix length; 32 or 128 for a single address */
  readonly length: number;
}

/** IPv4 dotted quad → unsigned 32-bit number, or null. */
export function parseIpv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  const q = text.split('.').map(Number);
  return ((q[0]! << 24) | (q[1]! << 16) | (q[2]! << 8) | q[3]!) >>> 0;
}

/** IPv6 text (with `::` and an embedded dotted quad allowed, no zone) → four words, or null. */
export function parseIpv6(text: string): number[] | null {
  if (text.includes('%') || !isIPv6(text)) return null;
  let body = text;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail)!;
    body = `${body.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = body.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length > 1 ? [...head, ...new Array<string>(8 - head.length - rest.length).fill('0'), ...rest] : head;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) words.push(((parseInt(groups[i * 2]!, 16) << 16) | parseInt(groups[i * 2 + 1]!, 16)) >>> 0);
  return words;
}

/**
 * `192.0.2.1`, `192.0.2.0/24`, `2001:db8::/32` → a Prefix, or a reason it is not one. Host bits
 * below the prefix length must be zero (`192.0.2.1/24` is refused: it usually is a typo).
 */
export function parsePrefix(text: string): Prefix | string {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIpv4(addr);
  const words = v4 !== null ? [v4] : parseIpv6(addr);
  if (words === null) return `${JSON.stringify(addr)} is not an IPv4 or IPv6 address`;
  const family = v4 !== null ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) return `prefix length ${JSON.stringify(lenText)} is not 0..${max}`;
    length = Number(lenText);
  }
  for (let w = 0; w < words.length; w++) {
    const keep = Math.max(0, Math.min(32, length - w * 32));
    const mask = keep === 0 ? 0 : (0xffffffff << (32 - keep)) >>> 0;
    if ((words[w]! & ~mask) >>> 0 !== 0) return `${text} has bits set below its /${length} prefix length`;
  }
  return { family, words, length };
}

export function formatPrefix(p: Prefix): string {
  const addr = p.family === 4
    ? [24, 16, 8, 0].map((s) => (p.words[0]! >>> s) & 0xff).join('.')
    : formatIpv6(p.words);
  return p.length === (p.family === 4 ? 32 : 128) ? addr : `${addr}/${p.length}`;
}

function formatIpv6(words: readonly number[]): string {
  const groups = words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]);
  // RFC 5952: the longest run of two or more zero groups becomes '::'
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}
