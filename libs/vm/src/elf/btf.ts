import { ElfError } from './elf-error.js';

/*
 * The parts of BTF a loader needs: type records (to read `.maps` definitions) and, from .BTF.ext,
 * line info (so that errors point at a source line). Malformed BTF is an ElfError; absent BTF is
 * simply no information.
 */

export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9, CONST: 10,
  RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

export interface BtfMember {
  name: string;
  type: number;
  offset: number;
}

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** size for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT; referenced type for PTR/TYPEDEF/CONST/VOLATILE/RESTRICT/VAR/FUNC/TYPE_TAG */
  sizeOrType: number;
  members: BtfMember[];
  array?: { type: number; nelems: number };
}

const BTF_MAGIC = 0xeb9f;

export class Btf {
  readonly types: (BtfType | undefined)[] = [undefined];
  private readonly strings: Uint8Array;

  constructor(bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24 || view.getUint16(0, true) !== BTF_MAGIC) throw new ElfError('.BTF has a bad header');
    const hdrLen = view.getUint32(4, true);
    const typeOff = view.getUint32(8, true);
    const typeLen = view.getUint32(12, true);
    const strOff = view.getUint32(16, true);
    const strLen = view.getUint32(20, true);
    const typesStart = hdrLen + typeOff;
    const stringsStart = hdrLen + strOff;
    if (typesStart + typeLen > bytes.length || stringsStart + strLen > bytes.length) throw new ElfError('.BTF sections lie outside .BTF');
    this.strings = bytes.subarray(stringsStart, stringsStart + strLen);
    let at = typesStart;
    const end = typesStart + typeLen;
    const need = (n: number) => { if (at + n > end) throw new ElfError('.BTF type data is truncated'); };
    while (at < end) {
      need(12);
      const nameOff = view.getUint32(at, true);
      const info = view.getUint32(at + 4, true);
      const sizeOrType = view.getUint32(at + 8, true);
      at += 12;
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const type: BtfType = { id: this.types.length, kind, name: this.string(nameOff), sizeOrType, members: [] };
      switch (kind) {
        case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: need(4); at += 4; break;
        case BtfKind.ARRAY:
          need(12);
          type.array = { type: view.getUint32(at, true), nelems: view.getUint32(at + 8, true) };
          at += 12;
          break;
        case BtfKind.STRUCT: case BtfKind.UNION:
          need(12 * vlen);
          for (let i = 0; i < vlen; i++, at += 12) {
            type.members.push({ name: this.string(view.getUint32(at, true)), type: view.getUint32(at + 4, true), offset: view.getUint32(at + 8, true) });
          }
          break;
        case BtfKind.DATASEC:
          need(12 * vlen);
          for (let i = 0; i < vlen; i++, at += 12) type.members.push({ name: '', type: view.getUint32(at, true), offset: view.getUint32(at + 4, true) });
          break;
        case BtfKind.ENUM: need(8 * vlen); at += 8 * vlen; break;
        case BtfKind.FUNC_PROTO: need(8 * vlen); at += 8 * vlen; break;
        case BtfKind.ENUM64: need(12 * vlen); at += 12 * vlen; break;
        case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
        case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG:
          break;
        default:
          throw new ElfError(`.BTF type ${type.id} has unknown kind ${kind}`);
      }
      this.types.push(type);
    }
  }

  string(offset: number): string {
    if (offset >= this.strings.length) return offset === 0 ? '' : '?';
    let end = offset;
    while (end < this.strings.length && this.strings[end] !== 0) end++;
    return new TextDecoder().decode(this.strings.subarray(offset, end));
  }

  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new ElfError(`.BTF refers to missing type ${id}`);
    return t;
  }

  /** Follows typedefs, qualifiers and tags to the underlying type. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let hops = 0; [BtfKind.TYPEDEF, BtfKind.VOLATILE, BtfKind.CONST, BtfKind.RESTRICT, BtfKind.TYPE_TAG].includes(t.kind as 8); hops++) {
      if (hops > 64) throw new ElfError('.BTF type chain is too long');
      t = this.type(t.sizeOrType);
    }
    return t;
  }

  sizeOf(id: number, depth = 0): number {
    if (depth > 64) throw new ElfError('.BTF type nesting is too deep');
    const t = this.resolve(id);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FLOAT: case BtfKind.DATASEC:
        return t.sizeOrType;
      case BtfKind.PTR:
        return 8;
      case BtfKind.ARRAY:
        return t.array!.nelems * this.sizeOf(t.array!.type, depth + 1);
      default:
        throw new ElfError(`.BTF type ${id} (${t.name || 'anonymous'}) has no size`);
    }
  }
}

export interface LineInfo {
  /** byte offset of the instruction in its section */
  insnOffset: number;
  file: string;
  line: number;
  column: number;
  /** the source line's text, as BTF records it */
  text: string;
}

/** Line info records of .BTF.ext, by section name, sorted by instruction offset. */
export function parseLineInfo(ext: Uint8Array, btf: Btf): Map<string, LineInfo[]> {
  const view = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const result = new Map<string, LineInfo[]>();
  if (ext.length < 32 || view.getUint16(0, true) !== BTF_MAGIC) throw new ElfError('.BTF.ext has a bad header');
  const hdrLen = view.getUint32(4, true);
  const lineOff = view.getUint32(16, true);
  const lineLen = view.getUint32(20, true);
  let at = hdrLen + lineOff;
  const end = at + lineLen;
  if (end > ext.length) throw new ElfError('.BTF.ext line info lies outside the section');
  if (lineLen === 0) return result;
  const recSize = view.getUint32(at, true);
  if (recSize < 16) throw new ElfError(`.BTF.ext line info record size ${recSize} is too small`);
  at += 4;
  while (at + 8 <= end) {
    const section = btf.string(view.getUint32(at, true));
    const count = view.getUint32(at + 4, true);
    at += 8;
    if (at + count * recSize > end) throw new ElfError('.BTF.ext line info is truncated');
    const records: LineInfo[] = [];
    for (let i = 0; i < count; i++, at += recSize) {
      const lineCol = view.getUint32(at + 12, true);
      records.push({
        insnOffset: view.getUint32(at, true),
        file: btf.string(view.getUint32(at + 4, true)),
        text: btf.string(view.getUint32(at + 8, true)).trim(),
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      });
    }
    records.sort((a, b) => a.insnOffset - b.insnOffset);
    result.set(section, records);
  }
  return result;
}
