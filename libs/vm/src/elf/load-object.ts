import { VmErrorCode, type SourceLocation } from '../errors.js';
import type { RawInstruction } from '../isa/instruction.js';
import { readSlot } from '../isa/instruction.js';
import { CallKind, Op } from '../isa/opcodes.js';
import { DATA_ADDRESS, MAP_HANDLE_BASE, MAP_HANDLE_STRIDE, REGION_ALIGN, layoutRegions } from '../memory.js';
import { Btf, BtfKind, parseLineInfo, type LineInfo } from './btf.js';
import { ElfError } from './elf-error.js';
import { ElfFile, SHF, SHT, STT, type ElfSection, type ElfSymbol } from './elf-file.js';

/** Relocation types of BPF ELF objects (LLVM's names). Calls use 10 since clang 17 and 2 before. */
const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;

export interface MapDefinition {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** the value lddw loads for a reference to this map */
  handle: number;
}

export interface DataSection {
  name: string;
  address: number;
  /** initial contents (zeroes for .bss), relocations applied */
  bytes: Uint8Array;
  writable: boolean;
}

export interface LoadedObject {
  /** the program section and its entry function */
  section: string;
  entry: string;
  /** the linked program: entry function first, then the functions it may call */
  slots: RawInstruction[];
  functions: { name: string; start: number; length: number }[];
  dataSections: DataSection[];
  maps: MapDefinition[];
  /** first address after the data sections: where an instance places its map values */
  mapsAddress: number;
  /** names of all program sections in the object (for messages and `--section`) */
  programSections: string[];
  lineOf(index: number): SourceLocation | undefined;
}

export interface LoadObjectOptions {
  /** program section to load; default: the only program section, else `cf_ebpf_main` in .text */
  section?: string;
}

interface Unit {
  section: ElfSection;
  name: string;
  start: number;
  length: number;
}

const isExec = (s: ElfSection) => s.type === SHT.PROGBITS && (s.flags & SHF.EXECINSTR) !== 0;
const isData = (s: ElfSection) => (s.type === SHT.PROGBITS || s.type === SHT.NOBITS) && (s.flags & SHF.ALLOC) !== 0 && !(s.flags & SHF.EXECINSTR) && /^\.(rodata|data|bss)/.test(s.name);

/** Reads a clang `-target bpf` object into a linked program with its data sections, maps and line info. */
export function loadObject(bytes: Uint8Array, options: LoadObjectOptions = {}): LoadedObject {
  const elf = new ElfFile(bytes);
  const programSections = elf.sections.filter(isExec).filter((s) => s.size > 0);
  const named = programSections.filter((s) => s.name !== '.text');
  const text = programSections.find((s) => s.name === '.text');

  let entrySection: ElfSection;
  if (options.section) {
    const found = programSections.find((s) => s.name === options.section);
    if (!found) throw new ElfError(`no program section '${options.section}' (have: ${programSections.map((s) => s.name).join(', ') || 'none'})`, undefined, VmErrorCode.NO_PROGRAM);
    entrySection = found;
  } else if (named.length === 1) {
    entrySection = named[0]!;
  } else if (named.length > 1) {
    throw new ElfError(`several program sections (${named.map((s) => s.name).join(', ')}): choose one`, undefined, VmErrorCode.NO_PROGRAM);
  } else if (text) {
    entrySection = text;
  } else {
    throw new ElfError('object has no program section', undefined, VmErrorCode.NO_PROGRAM);
  }

  const unitsOf = (section: ElfSection): Unit[] => functionUnits(elf, section);
  const entryUnits = unitsOf(entrySection);
  let entryUnit = entryUnits[0]!;
  if (entrySection === text) {
    entryUnit = entryUnits.find((u) => u.name === 'cf_ebpf_main') ?? entryUnits.find((u) => u.start === 0) ?? entryUnit;
  }
  const units = [entryUnit, ...entryUnits.filter((u) => u !== entryUnit), ...(text && text !== entrySection ? unitsOf(text) : [])];

  // Where each original (section, slot) lands in the linked image.
  const position = new Map<string, number>();
  const key = (section: number, slot: number) => `${section}:${slot}`;
  const origin: { section: ElfSection; slot: number }[] = [];
  const slots: RawInstruction[] = [];
  const functions = units.map((unit) => {
    const start = slots.length;
    for (let i = 0; i < unit.length; i++) {
      position.set(key(unit.section.index, unit.start + i), slots.length);
      origin.push({ section: unit.section, slot: unit.start + i });
      slots.push(readSlot(unit.section.data, unit.start + i));
    }
    return { name: unit.name, start, length: unit.length };
  });

  const dataSections = layoutData(elf);
  const maps = readMaps(elf);
  const dataBySection = new Map(dataSections.map((d) => [d.index, d]));
  const mapBySymbol = new Map(maps.map((m) => [m.symbol, m]));

  // Relocations of the program sections: lddw of data and maps, and calls to functions.
  const callTarget = new Map<number, { section: number; slot: number }>();
  for (const section of new Set(units.map((u) => u.section))) {
    for (const reloc of elf.relocations.get(section.index) ?? []) {
      const slot = reloc.offset / 8;
      const at = position.get(key(section.index, slot));
      if (at === undefined) continue; // outside the functions we link
      const inst = slots[at]!;
      const symbol = elf.symbols[reloc.symbol];
      const where = `${section.name}+0x${reloc.offset.toString(16)}`;
      if (!symbol) throw new ElfError(`relocation at ${where} names missing symbol ${reloc.symbol}`);
      if (inst.opcode === Op.LDDW && reloc.type === R_BPF.R64_64) {
        resolveLddw(slots, at, symbol, dataBySection, mapBySymbol, elf, where);
      } else if (inst.opcode === Op.CALL && inst.src === CallKind.LOCAL && (reloc.type === R_BPF.ABS64 || reloc.type === R_BPF.R64_32)) {
        if (symbol.section === 0) throw new ElfError(`call at ${where} to undefined function '${symbol.name}'`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
        callTarget.set(at, { section: symbol.section, slot: symbol.value / 8 + inst.imm + 1 });
      } else if (inst.opcode === Op.CALL && inst.src === CallKind.HELPER) {
        throw new ElfError(`call at ${where} to external function '${symbol.name}' (kfuncs are not supported): declare helpers as numbered function pointers`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
      } else {
        throw new ElfError(`unsupported relocation type ${reloc.type} at ${where} (symbol '${symbol.name}')`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
      }
    }
  }

  // Local calls become relative to the linked image.
  slots.forEach((inst, at) => {
    if (inst.opcode !== Op.CALL || inst.src !== CallKind.LOCAL) return;
    const from = origin[at]!;
    const target = callTarget.get(at) ?? { section: from.section.index, slot: from.slot + inst.imm + 1 };
    const to = position.get(key(target.section, target.slot));
    if (to === undefined) throw new ElfError(`local call at ${from.section.name} instruction ${from.slot} targets instruction ${target.slot} of section ${elf.sections[target.section]?.name ?? target.section}, which is not a function`);
    inst.imm = to - at - 1;
  });

  const lines = readLineInfo(elf);
  const lineOf = (index: number): SourceLocation | undefined => {
    const where = origin[index];
    if (!where) return undefined;
    const info = findLine(lines.get(where.section.name), where.slot * 8);
    return info ? { file: info.file, line: info.line, column: info.column, text: info.text } as SourceLocation : undefined;
  };

  return {
    section: entrySection.name,
    entry: entryUnit.name,
    slots,
    functions,
    dataSections: dataSections.map(({ name, address, bytes: data, writable }) => ({ name, address, bytes: data, writable })),
    maps: maps.map(({ symbol: _symbol, ...map }) => map),
    mapsAddress: dataSections.reduce((end, d) => Math.max(end, d.address + Math.ceil(Math.max(d.bytes.length, 1) / REGION_ALIGN) * REGION_ALIGN + REGION_ALIGN), DATA_ADDRESS),
    programSections: programSections.map((s) => s.name),
    lineOf,
  };
}

function functionUnits(elf: ElfFile, section: ElfSection): Unit[] {
  const count = Math.floor(section.size / 8);
  if (section.size % 8 !== 0) throw new ElfError(`program section ${section.name} is ${section.size} bytes, not a multiple of 8`, section.offset);
  const symbols = elf.symbols
    .filter((s) => s.section === section.index && s.type === STT.FUNC)
    .sort((a, b) => a.value - b.value);
  if (symbols.length === 0) return [{ section, name: section.name, start: 0, length: count }];
  return symbols.map((s, i) => {
    const start = s.value / 8;
    const end = s.size > 0 ? start + s.size / 8 : (symbols[i + 1] ? symbols[i + 1]!.value / 8 : count);
    if (!Number.isInteger(start) || start < 0 || end > count || end <= start) throw new ElfError(`function ${s.name} lies outside section ${section.name}`);
    return { section, name: s.name, start, length: end - start };
  });
}

interface LaidOutData extends DataSection {
  index: number;
}

function layoutData(elf: ElfFile): LaidOutData[] {
  const sections = elf.sections.filter(isData);
  const regions = layoutRegions(
    sections.map((s) => ({ name: s.name, bytes: s.type === SHT.NOBITS ? new Uint8Array(s.size) : s.data.slice(), writable: !s.name.startsWith('.rodata') })),
    DATA_ADDRESS,
  );
  const laid = sections.map((s, i) => ({ index: s.index, name: s.name, address: regions[i]!.address, bytes: regions[i]!.bytes, writable: regions[i]!.writable }));
  // Pointers stored in data (e.g. a table of strings) are ABS64/ABS32 relocations.
  const byIndex = new Map(laid.map((d) => [d.index, d]));
  for (const data of laid) {
    for (const reloc of elf.relocations.get(data.index) ?? []) {
      const symbol = elf.symbols[reloc.symbol];
      const target = symbol ? byIndex.get(symbol.section) : undefined;
      const width = reloc.type === R_BPF.ABS64 ? 8 : reloc.type === R_BPF.ABS32 ? 4 : 0;
      if (!symbol || !target || width === 0 || reloc.offset + width > data.bytes.length) {
        throw new ElfError(`unsupported relocation type ${reloc.type} in ${data.name} at 0x${reloc.offset.toString(16)}`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
      }
      const view = new DataView(data.bytes.buffer, data.bytes.byteOffset, data.bytes.length);
      const addend = width === 8 ? Number(view.getBigUint64(reloc.offset, true)) : view.getUint32(reloc.offset, true);
      const value = target.address + symbol.value + addend + reloc.addend;
      if (width === 8) view.setBigUint64(reloc.offset, BigInt(value), true);
      else view.setUint32(reloc.offset, value, true);
    }
  }
  return laid;
}

function resolveLddw(
  slots: RawInstruction[],
  at: number,
  symbol: ElfSymbol,
  data: Map<number, LaidOutData>,
  maps: Map<number, MapDefinition & { symbol: number }>,
  elf: ElfFile,
  where: string,
): void {
  let value: number;
  const map = maps.get(symbol.index);
  if (map) {
    value = map.handle;
  } else {
    const region = data.get(symbol.section);
    if (!region) {
      const section = elf.sections[symbol.section];
      if (symbol.section === 0) throw new ElfError(`lddw at ${where} refers to undefined symbol '${symbol.name}'`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
      throw new ElfError(`lddw at ${where} refers to '${symbol.name}' in section ${section?.name ?? symbol.section}, which is not data (.rodata, .data, .bss) or a map`, undefined, VmErrorCode.UNSUPPORTED_RELOCATION);
    }
    // REL relocations keep the addend in the instruction's immediate.
    value = region.address + symbol.value + (slots[at]!.imm >>> 0);
  }
  slots[at]!.imm = value | 0;
  slots[at + 1]!.imm = 0;
}

const MAP_DEF_BYTES = 20;

function readMaps(elf: ElfFile): (MapDefinition & { symbol: number })[] {
  const result: (MapDefinition & { symbol: number })[] = [];
  const add = (symbol: ElfSymbol, def: Omit<MapDefinition, 'handle' | 'name'>) => {
    if (def.keySize <= 0 || def.valueSize <= 0 || def.maxEntries <= 0 || def.keySize > 512 || def.valueSize > 65536 || def.maxEntries > 1 << 24) {
      throw new ElfError(`map '${symbol.name}' has impossible sizes (key ${def.keySize}, value ${def.valueSize}, entries ${def.maxEntries})`, undefined, VmErrorCode.BAD_MAP);
    }
    result.push({ ...def, name: symbol.name, symbol: symbol.index, handle: MAP_HANDLE_BASE + result.length * MAP_HANDLE_STRIDE });
  };

  const legacy = elf.section('maps');
  if (legacy) {
    const view = new DataView(legacy.data.buffer, legacy.data.byteOffset, legacy.data.byteLength);
    for (const symbol of elf.symbols.filter((s) => s.section === legacy.index && s.type !== STT.SECTION)) {
      if (symbol.value + MAP_DEF_BYTES > legacy.data.length) throw new ElfError(`map '${symbol.name}' lies outside the maps section`, undefined, VmErrorCode.BAD_MAP);
      const u32 = (i: number) => view.getUint32(symbol.value + 4 * i, true);
      add(symbol, { type: u32(0), keySize: u32(1), valueSize: u32(2), maxEntries: u32(3), flags: u32(4) });
    }
  }

  const btfMaps = elf.section('.maps');
  if (btfMaps) {
    const btfSection = elf.section('.BTF');
    if (!btfSection) throw new ElfError('a .maps section needs .BTF to describe its maps: compile with -g', undefined, VmErrorCode.BAD_MAP);
    const btf = new Btf(btfSection.data);
    const datasec = btf.types.find((t) => t?.kind === BtfKind.DATASEC && t.name === '.maps');
    for (const symbol of elf.symbols.filter((s) => s.section === btfMaps.index && s.type !== STT.SECTION)) {
      const variable = datasec?.members.map((m) => btf.type(m.type)).find((v) => v.name === symbol.name);
      if (!variable) throw new ElfError(`map '${symbol.name}' has no BTF description`, undefined, VmErrorCode.BAD_MAP);
      const struct = btf.resolve(variable.sizeOrType);
      const field = (name: string) => struct.members.find((m) => m.name === name);
      const number = (name: string): number | undefined => {
        const member = field(name);
        if (!member) return undefined;
        const ptr = btf.resolve(member.type);
        const array = ptr.kind === BtfKind.PTR ? btf.resolve(ptr.sizeOrType) : undefined;
        if (!array?.array) throw new ElfError(`map '${symbol.name}': field ${name} is not declared with __uint()`, undefined, VmErrorCode.BAD_MAP);
        return array.array.nelems;
      };
      const sizeOfPointee = (name: string): number | undefined => {
        const member = field(name);
        if (!member) return undefined;
        const ptr = btf.resolve(member.type);
        if (ptr.kind !== BtfKind.PTR) throw new ElfError(`map '${symbol.name}': field ${name} is not declared with __type()`, undefined, VmErrorCode.BAD_MAP);
        return btf.sizeOf(ptr.sizeOrType);
      };
      add(symbol, {
        type: number('type') ?? 0,
        keySize: sizeOfPointee('key') ?? number('key_size') ?? 0,
        valueSize: sizeOfPointee('value') ?? number('value_size') ?? 0,
        maxEntries: number('max_entries') ?? 0,
        flags: number('map_flags') ?? 0,
      });
    }
  }
  return result;
}

function readLineInfo(elf: ElfFile): Map<string, LineInfo[]> {
  const btf = elf.section('.BTF');
  const ext = elf.section('.BTF.ext');
  if (!btf || !ext) return new Map();
  return parseLineInfo(ext.data, new Btf(btf.data));
}

function findLine(lines: LineInfo[] | undefined, offset: number): LineInfo | undefined {
  if (!lines) return undefined;
  let found: LineInfo | undefined;
  for (const line of lines) {
    if (line.insnOffset > offset) break;
    found = line;
  }
  return found;
}
