import { isIPv4, isIPv6 } from 'node:net';

/**
 * Source IPs are 16 bytes on the wire and in the replica: IPv6 as is, IPv4 mapped into
 * ::ffff:0:0/96, so one key layout serves both families.
 */
export function ipToBytes16(text: string): Uint8Array {
  const out = new Uint8Array(16);
  if (isIPv4(text)) {
    out[10] = 0xff;
    out[11] = 0xff;
    text.split('.').forEach((part, i) => { out[12 + i] = Number(part); });
    return out;
  }
  if (!isIPv6(text)) throw new RangeError(`not an IP address: ${JSON.stringify(text)}`);
  let body = text.split('%')[0]!;
  // An embedded dotted quad ("::ffff:1.2.3.4") becomes two hex groups.
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    const q = tail.split('.').map(Number);
    body = `${body.slice(0, lastColon + 1)}${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`;
  }
  const [head, rest] = body.includes('::') ? body.split('::') as [string, string] : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups = rest === undefined
    ? headGroups
    : [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Formats 16 bytes back to text: dotted quad for IPv4-mapped, RFC 5952 short form for IPv6. */
export function bytes16ToIp(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new RangeError(`an IP is 16 bytes, got ${bytes.length}`);
  if (isV4Mapped(bytes)) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // Longest run of zero groups (length >= 2) becomes "::".
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
