import { assemble } from '../isa/assemble.js';

/**
 * A bpf_conformance test file: `-- asm` (or `-- raw` instruction words), optional `-- mem` hex
 * bytes, and `-- result` (r0) or `-- error` (the run must fail). Other sections (`-- c`, notes)
 * are kept but not interpreted.
 */
export interface ConformanceCase {
  program: Uint8Array;
  memory: Uint8Array;
  result: bigint | null;
  error: string | null;
  sections: Record<string, string>;
}

export function parseConformanceFile(text: string): ConformanceCase {
  const sections: Record<string, string> = {};
  let current: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    const header = /^-- (.+)$/.exec(line);
    if (header) {
      current = header[1]!.trim();
      sections[current] = '';
    } else if (current !== null) {
      sections[current] += line + '\n';
    }
  }
  let program: Uint8Array;
  if (sections['raw'] !== undefined) program = rawToBytes(sections['raw']);
  else if (sections['asm'] !== undefined) program = assemble(sections['asm']);
  else throw new Error('test file has neither -- asm nor -- raw');
  const resultText = sections['result']?.replace(/#.*$/gm, '').trim();
  return {
    program,
    memory: parseHexBytes(sections['mem'] ?? ''),
    result: resultText ? BigInt.asUintN(64, BigInt(resultText)) : null,
    error: sections['error']?.trim() || null,
    sections,
  };
}

/** `-- raw` lists one 64-bit instruction word per line, as a number (little-endian in memory). */
function rawToBytes(text: string): Uint8Array {
  const words = text.split(/\s+/).map((w) => w.replace(/#.*$/, '')).filter(Boolean);
  const bytes = new Uint8Array(words.length * 8);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(word)), true));
  return bytes;
}

/** Hex bytes separated by any whitespace ("00 0a ff" or "000aff"); throws on anything else. */
export function parseHexBytes(text: string): Uint8Array {
  const hex = text.replace(/#.*$/gm, '').replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new Error(`not a sequence of hex bytes: '${text.trim().slice(0, 40)}'`);
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}
