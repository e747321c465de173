import { CaptureError, CaptureErrorCode } from './errors.js';

/**
 * Bounds-checked reads at absolute offsets of a capture file, in one byte order. Every read past
 * the end throws a TRUNCATED CaptureError naming the offset, so the parsers never index out of range.
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, littleEndian: boolean) {
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /** Throws TRUNCATED unless `count` bytes exist at `offset`; `what` names the structure. */
  need(offset: number, count: number, what: string): void {
    if (offset < 0 || count < 0 || offset + count > this.bytes.byteLength) {
      const have = Math.max(0, this.bytes.byteLength - offset);
      throw new CaptureError(CaptureErrorCode.TRUNCATED, `capture ends inside ${what}: need ${count} bytes, ${have} left`, offset);
    }
  }

  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, this.littleEndian);
  }

  i64(offset: number, what: string): bigint {
    this.need(offset, 8, what);
    return this.view.getBigInt64(offset, this.littleEndian);
  }

  /** A view (no copy) of `count` bytes at `offset`. */
  slice(offset: number, count: number, what: string): Uint8Array {
    this.need(offset, count, what);
    return this.bytes.subarray(offset, offset + count);
  }
}
