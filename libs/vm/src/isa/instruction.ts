/** One 8-byte instruction slot as RFC 9669 lays it out. `lddw` takes two slots. */
export interface RawInstruction {
  opcode: number;
  dst: number;
  src: number;
  /** signed 16-bit */
  offset: number;
  /** signed 32-bit */
  imm: number;
}

export const INSTRUCTION_BYTES = 8;
export const MAX_REGISTER = 10;
export const FRAME_POINTER = 10;

export function readSlot(bytes: Uint8Array, index: number): RawInstruction {
  const at = index * INSTRUCTION_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, INSTRUCTION_BYTES);
  const regs = view.getUint8(1);
  return { opcode: view.getUint8(0), dst: regs & 0x0f, src: regs >> 4, offset: view.getInt16(2, true), imm: view.getInt32(4, true) };
}

export function writeSlot(bytes: Uint8Array, index: number, inst: RawInstruction): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + index * INSTRUCTION_BYTES, INSTRUCTION_BYTES);
  view.setUint8(0, inst.opcode);
  view.setUint8(1, ((inst.src & 0x0f) << 4) | (inst.dst & 0x0f));
  view.setInt16(2, inst.offset, true);
  view.setInt32(4, inst.imm, true);
}

export function encodeProgram(slots: readonly RawInstruction[]): Uint8Array {
  const bytes = new Uint8Array(slots.length * INSTRUCTION_BYTES);
  slots.forEach((slot, i) => writeSlot(bytes, i, slot));
  return bytes;
}
