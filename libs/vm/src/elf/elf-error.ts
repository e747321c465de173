import { VmErrorCode, VmLoadError } from '../errors.js';

/** A malformed or unsupported object file. `offset` is the byte offset in the file, where known. */
export class ElfError extends VmLoadError {
  override readonly name: string = 'ElfError';
  readonly offset: number | undefined;

  constructor(message: string, offset?: number, code: VmErrorCode = VmErrorCode.BAD_ELF) {
    super(code, message);
    this.offset = offset;
  }
}
