import { decodePrefixList, encodePrefixList } from '@flowshield/proto';
import { RulesError, RulesErrorCode } from './errors.js';
import { parsePrefix } from './ip.js';
import { PrefixList, PrefixListBuilder } from './prefix-list.js';

/**
 * A list's text form, what `lists put NAME FILE` reads: one prefix or address per line; blank
 * lines and `#` comments (whole-line or trailing) are ignored. Throws RulesError LIST naming the
 * line of the first bad entry.
 */
export function parsePrefixListText(text: string): PrefixList {
  const b = new PrefixListBuilder();
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    let entry = text.slice(start, end);
    const hash = entry.indexOf('#');
    if (hash >= 0) entry = entry.slice(0, hash);
    entry = entry.trim();
    if (entry !== '') {
      const p = parsePrefix(entry);
      if (typeof p === 'string') throw new RulesError(RulesErrorCode.LIST, `line ${line}: ${p}`);
      b.add(p);
    }
    start = end + 1;
  }
  return b.build();
}

/** A list as JSON: an array of prefix strings (the form of a rules file's inline lists). */
export function parsePrefixListJson(text: string): PrefixList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RulesError(RulesErrorCode.LIST, `list is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new RulesError(RulesErrorCode.LIST, 'a JSON list is an array of prefix strings');
  return PrefixList.fromTexts(value);
}

/** The object-store form (libs/proto's FSPL layout). */
export function prefixListToFile(list: PrefixList): Uint8Array {
  return encodePrefixList(list);
}

/** From the object-store form; throws the proto DecodeError on a malformed object. */
export function prefixListFromFile(bytes: Uint8Array): PrefixList {
  const d = decodePrefixList(bytes);
  return PrefixList.fromSorted(d.v4Addr, d.v4Len, d.v6Addr, d.v6Len);
}
