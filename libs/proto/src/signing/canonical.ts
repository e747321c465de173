/*
 * The canonical byte string an operator signs: a fixed layout, never a serializer's output, so
 * the bytes signed on a laptop are the bytes checked on an edge whatever msgpack or JSON would do
 * with field order, integer widths or absent fields.
 *
 *   "FSSG"  u8 layout version  u8 length + ASCII kind ("deployment", later "rules", "list")
 *   then the kind's fields in a fixed order, each written by one of the methods below:
 *   u8 · u64/i64 big-endian · u32 length + UTF-8 string · fixed-size bytes · optional u64 (u8 flag + u64)
 *
 * The kind is part of the signed bytes, so a signature over one kind of record can never be
 * replayed as another.
 */

export const SIGNED_MAGIC = 'FSSG';
export const SIGNED_LAYOUT_VERSION = 1;

const encoder = new TextEncoder();

export class CanonicalWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  constructor(kind: string) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(kind)) throw new RangeError(`signed record kind ${JSON.stringify(kind)} is not a lower-case name`);
    this.push(encoder.encode(SIGNED_MAGIC));
    this.u8(SIGNED_LAYOUT_VERSION);
    this.u8(kind.length);
    this.push(encoder.encode(kind));
  }

  private push(bytes: Uint8Array): this {
    this.parts.push(bytes);
    this.size += bytes.length;
    return this;
  }

  u8(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new RangeError(`${value} is not a u8`);
    return this.push(Uint8Array.of(value));
  }

  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a u64`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, BigInt(value));
    return this.push(out);
  }

  i64(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not an i64`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigInt64(0, BigInt(value));
    return this.push(out);
  }

  optionalU64(value: number | null): this {
    return value === null ? this.u8(0).u64(0) : this.u8(1).u64(value);
  }

  string(value: string): this {
    const bytes = encoder.encode(value);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, bytes.length);
    return this.push(length).push(bytes);
  }

  fixed(bytes: Uint8Array, size: number): this {
    if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`);
    return this.push(bytes.slice());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
