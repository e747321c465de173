import { ElfError } from './elf-error.js';

/*
 * A reader for the ELF64 little-endian relocatable objects clang writes for `-target bpf`: section
 * headers, symbols and relocations. Every offset and size read from the file is checked, so a
 * truncated or hostile file gives an ElfError naming what is wrong, never an exception trace.
 */

export const EM_BPF = 247;
export const SHT = { PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9 } as const;
export const SHF = { WRITE: 0x1, ALLOC: 0x2, EXECINSTR: 0x4 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** file bytes of the section (empty for NOBITS) */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  type: number;
  bind: number;
  section: number;
  value: number;
  size: number;
}

export interface ElfRelocation {
  /** byte offset in the target section */
  offset: number;
  type: number;
  symbol: number;
  addend: number;
}

export class ElfFile {
  readonly sections: ElfSection[] = [];
  readonly symbols: ElfSymbol[] = [];
  /** target section index → its relocations */
  readonly relocations = new Map<number, ElfRelocation[]>();
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.readHeader();
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  private need(offset: number, length: number, what: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new ElfError(`${what} at offset ${offset} (${length} bytes) lies outside the file (${this.bytes.length} bytes)`, offset);
    }
  }

  private u64(offset: number, what: string): number {
    const value = this.view.getBigUint64(offset, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} ${value} is too large`, offset);
    return Number(value);
  }

  private readHeader(): void {
    const b = this.bytes;
    if (b.length < 64) throw new ElfError(`file is ${b.length} bytes, too short for an ELF header`, 0);
    if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new ElfError('not an ELF file (bad magic)', 0);
    if (b[4] !== 2) throw new ElfError('not a 64-bit ELF file', 4);
    if (b[5] !== 1) throw new ElfError('not a little-endian ELF file (big-endian BPF objects are not supported)', 5);
    const machine = this.view.getUint16(18, true);
    if (machine !== EM_BPF) throw new ElfError(`ELF machine is ${machine}, not BPF (${EM_BPF}): compile with clang -target bpf`, 18);
    const shoff = this.u64(0x28, 'section header offset');
    const shentsize = this.view.getUint16(0x3a, true);
    const shnum = this.view.getUint16(0x3c, true);
    const shstrndx = this.view.getUint16(0x3e, true);
    if (shnum === 0) throw new ElfError('object has no sections', 0x3c);
    if (shentsize < 64) throw new ElfError(`section header size ${shentsize} is too small`, 0x3a);
    this.need(shoff, shnum * shentsize, 'section header table');

    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      raw.push({
        nameOffset: this.view.getUint32(at, true),
        type: this.view.getUint32(at + 4, true),
        flags: this.u64(at + 8, 'section flags'),
        offset: this.u64(at + 0x18, 'section offset'),
        size: this.u64(at + 0x20, 'section size'),
        link: this.view.getUint32(at + 0x28, true),
        info: this.view.getUint32(at + 0x2c, true),
        entsize: this.u64(at + 0x38, 'section entry size'),
      });
    }
    const names = raw[shstrndx];
    if (!names || names.type !== SHT.STRTAB) throw new ElfError(`section name table index ${shstrndx} is not a string table`, 0x3e);
    this.need(names.offset, names.size, 'section name table');
    const nameTable = b.subarray(names.offset, names.offset + names.size);
    raw.forEach((s, index) => {
      const name = readString(nameTable, s.nameOffset, `name of section ${index}`);
      let data: Uint8Array = new Uint8Array(0);
      if (s.type !== SHT.NOBITS && index !== 0) {
        this.need(s.offset, s.size, `section ${name}`);
        data = b.subarray(s.offset, s.offset + s.size);
      }
      this.sections.push({ index, name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize, data });
    });
    this.readSymbols();
    this.readRelocations();
  }

  private readSymbols(): void {
    const symtab = this.sections.find((s) => s.type === SHT.SYMTAB);
    if (!symtab) return;
    const strings = this.sections[symtab.link];
    if (!strings || strings.type !== SHT.STRTAB) throw new ElfError(`symbol table's string table (section ${symtab.link}) is missing`, symtab.offset);
    const view = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
    const count = Math.floor(symtab.data.length / 24);
    for (let i = 0; i < count; i++) {
      const at = i * 24;
      const info = view.getUint8(at + 4);
      const value = view.getBigUint64(at + 8, true);
      const size = view.getBigUint64(at + 16, true);
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`symbol ${i} has an impossible value or size`, symtab.offset + at);
      this.symbols.push({
        index: i,
        name: readString(strings.data, view.getUint32(at, true), `name of symbol ${i}`),
        type: info & 0xf,
        bind: info >> 4,
        section: view.getUint16(at + 6, true),
        value: Number(value),
        size: Number(size),
      });
    }
  }

  private readRelocations(): void {
    for (const section of this.sections) {
      if (section.type !== SHT.REL && section.type !== SHT.RELA) continue;
      const entry = section.type === SHT.REL ? 16 : 24;
      const view = new DataView(section.data.buffer, section.data.byteOffset, section.data.byteLength);
      const list: ElfRelocation[] = [];
      for (let at = 0; at + entry <= section.data.length; at += entry) {
        const info = view.getBigUint64(at + 8, true);
        const offset = view.getBigUint64(at, true);
        if (offset > 0xffffffffn) throw new ElfError(`relocation in ${section.name} has an impossible offset`, section.offset + at);
        list.push({
          offset: Number(offset),
          type: Number(info & 0xffffffffn),
          symbol: Number(info >> 32n),
          addend: section.type === SHT.RELA ? Number(view.getBigInt64(at + 16, true)) : 0,
        });
      }
      if (!this.sections[section.info]) throw new ElfError(`relocation section ${section.name} targets missing section ${section.info}`, section.offset);
      this.relocations.set(section.info, [...(this.relocations.get(section.info) ?? []), ...list]);
    }
  }
}

function readString(table: Uint8Array, offset: number, what: string): string {
  if (offset >= table.length && !(offset === 0 && table.length === 0)) throw new ElfError(`${what}: string offset ${offset} is outside its string table`, offset);
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  return new TextDecoder().decode(table.subarray(offset, end));
}
