import { EM_BPF, SHF, SHT } from './elf-file.js';

const HEADER_BYTES = 64;
const SECTION_HEADER_BYTES = 64;

/**
 * The smallest ELF object loadObject reads: one executable program section holding `code`
 * (little-endian instruction bytes, as `assemble` makes them) and the section name table. No
 * symbols, relocations or line info: what assembly has. The section name picks the program type.
 */
export function writeObject(code: Uint8Array, section: string): Uint8Array {
  if (code.length % 8 !== 0) throw new RangeError(`program is ${code.length} bytes, not a multiple of 8`);
  const names = new TextEncoder().encode(`\0${section}\0.shstrtab\0`);
  const codeAt = HEADER_BYTES;
  const namesAt = codeAt + code.length;
  const headersAt = Math.ceil((namesAt + names.length) / 8) * 8;
  const out = new Uint8Array(headersAt + 3 * SECTION_HEADER_BYTES);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // magic, 64-bit, little-endian, version 1
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(0x28, BigInt(headersAt), true);
  v.setUint16(0x34, HEADER_BYTES, true);
  v.setUint16(0x3a, SECTION_HEADER_BYTES, true);
  v.setUint16(0x3c, 3, true);
  v.setUint16(0x3e, 2, true);
  out.set(code, codeAt);
  out.set(names, namesAt);
  const header = (index: number, name: number, type: number, flags: number, offset: number, size: number, align: number) => {
    const at = headersAt + index * SECTION_HEADER_BYTES;
    v.setUint32(at, name, true);
    v.setUint32(at + 4, type, true);
    v.setBigUint64(at + 8, BigInt(flags), true);
    v.setBigUint64(at + 0x18, BigInt(offset), true);
    v.setBigUint64(at + 0x20, BigInt(size), true);
    v.setBigUint64(at + 0x30, BigInt(align), true);
  };
  header(1, 1, SHT.PROGBITS, SHF.ALLOC | SHF.EXECINSTR, codeAt, code.length, 8);
  header(2, 2 + new TextEncoder().encode(section).length, SHT.STRTAB, 0, namesAt, names.length, 1);
  return out;
}
