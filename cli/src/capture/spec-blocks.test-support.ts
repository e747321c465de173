/* Test support only (not exported from index.ts). */
// pcapng blocks laid out by hand from the specification (draft-ietf-opsawg-pcapng), independent of
// the writer, so that reader and writer are not only tested against each other.
export class Blocks {
  private readonly parts: Uint8Array[] = [];
  constructor(private readonly le: boolean) {}

  static pad(bytes: Uint8Array): Uint8Array {
    const out = new Uint8Array((bytes.length + 3) & ~3);
    out.set(bytes);
    return out;
  }

  u16(v: number): Uint8Array { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, this.le); return b; }
  u32(v: number): Uint8Array { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, this.le); return b; }
  i64(v: bigint): Uint8Array { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, v, this.le); return b; }

  option(code: number, value: Uint8Array): Uint8Array {
    return concat(this.u16(code), this.u16(value.length), Blocks.pad(value));
  }

  endOfOptions(): Uint8Array { return new Uint8Array(4); }

  block(type: number, ...body: Uint8Array[]): this {
    const content = concat(...body);
    const length = 12 + content.length;
    this.parts.push(concat(this.u32(type), this.u32(length), content, this.u32(length)));
    return this;
  }

  shb(...options: Uint8Array[]): this {
    return this.block(0x0a0d0d0a, this.u32(0x1a2b3c4d), this.u16(1), this.u16(0), this.i64(-1n), ...options);
  }

  idb(linkType: number, snapLength: number, ...options: Uint8Array[]): this {
    return this.block(1, this.u16(linkType), this.u16(0), this.u32(snapLength), ...options);
  }

  epb(interfaceId: number, ticks: bigint, frame: Uint8Array, originalLength: number, ...options: Uint8Array[]): this {
    return this.block(6, this.u32(interfaceId), this.u32(Number(ticks >> 32n)), this.u32(Number(ticks & 0xffffffffn)),
      this.u32(frame.length), this.u32(originalLength), Blocks.pad(frame), ...options);
  }

  spb(originalLength: number, frame: Uint8Array): this {
    return this.block(3, this.u32(originalLength), Blocks.pad(frame));
  }

  bytes(): Uint8Array { return concat(...this.parts); }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

