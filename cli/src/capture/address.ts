import { isIPv4, isIPv6 } from 'node:net';
import { CaptureError, CaptureErrorCode } from './errors.js';

/** Parses an IPv4 or IPv6 address ("192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1") into 4 or 16 bytes. */
export function parseIpAddress(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `not an IP address: ${JSON.stringify(text)}`, -1);
  let groupsText = text.replace(/%.*$/, '');
  // An embedded IPv4 tail becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(groupsText);
  if (v4) {
    const b = v4[1]!.split('.').map(Number);
    groupsText = groupsText.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head = '', tail] = groupsText.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    bytes[i * 2] = v >> 8;
    bytes[i * 2 + 1] = v & 0xff;
  });
  return bytes;
}

/** Formats 4 or 16 address bytes as text (IPv6 in RFC 5952 form: lowercase, longest zero run as "::"). */
export function formatIpAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new CaptureError(CaptureErrorCode.BAD_ARGUMENT, `an IP address has 4 or 16 bytes, not ${bytes.length}`, -1);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
