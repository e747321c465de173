import { VmErrorCode, VmLoadError } from '../errors.js';
import { INSTRUCTION_BYTES, readSlot, type RawInstruction } from './instruction.js';
import { opcodeInfo, type OpcodeInfo } from './instruction-table.js';
import { CallKind } from './opcodes.js';

/** Upper bound on program size, in instruction slots (the Linux limit for privileged loaders). */
export const MAX_PROGRAM_SLOTS = 1_000_000;

export interface DecodeOptions {
  /** Helper numbers the host provides; a call to any other number is rejected at load time. */
  helpers?: { has(id: number): boolean };
  maxSlots?: number;
}

/**
 * A structurally valid program: every slot decoded and checked against the instruction table,
 * every jump and local call landing on an instruction, every helper known. `infos[i]` is null for
 * the second slot of an `lddw`.
 */
export interface DecodedProgram {
  readonly slots: readonly RawInstruction[];
  readonly infos: readonly (OpcodeInfo | null)[];
  /** Slot index → target slot, for jumps and local calls. */
  readonly targets: ReadonlyMap<number, number>;
}

export function decodeProgram(bytes: Uint8Array, options: DecodeOptions = {}): DecodedProgram {
  if (bytes.length === 0) throw new VmLoadError(VmErrorCode.EMPTY_PROGRAM, 'program is empty');
  if (bytes.length % INSTRUCTION_BYTES !== 0) {
    throw new VmLoadError(VmErrorCode.TRUNCATED, `program is ${bytes.length} bytes, not a multiple of ${INSTRUCTION_BYTES}`);
  }
  const count = bytes.length / INSTRUCTION_BYTES;
  const maxSlots = options.maxSlots ?? MAX_PROGRAM_SLOTS;
  if (count > maxSlots) throw new VmLoadError(VmErrorCode.PROGRAM_TOO_LARGE, `program has ${count} instructions, the limit is ${maxSlots}`);

  const slots: RawInstruction[] = [];
  for (let i = 0; i < count; i++) slots.push(readSlot(bytes, i));
  return validateSlots(slots, options);
}

export function validateSlots(slots: RawInstruction[], options: DecodeOptions = {}): DecodedProgram {
  const count = slots.length;
  if (count === 0) throw new VmLoadError(VmErrorCode.EMPTY_PROGRAM, 'program is empty');
  const infos: (OpcodeInfo | null)[] = new Array(count).fill(null);
  const lddwSecond = new Uint8Array(count);

  for (let i = 0; i < count; i++) {
    const inst = slots[i]!;
    const info = opcodeInfo(inst.opcode);
    if (!info) throw new VmLoadError(VmErrorCode.UNKNOWN_OPCODE, `unknown opcode 0x${inst.opcode.toString(16).padStart(2, '0')}`, { index: i });
    const reason = info.check(inst);
    if (reason) throw new VmLoadError(VmErrorCode.RESERVED_FIELD, `${info.mnemonic}: ${reason}`, { index: i });
    infos[i] = info;
    if (info.kind === 'lddw') {
      const next = slots[i + 1];
      if (!next) throw new VmLoadError(VmErrorCode.LDDW_TRUNCATED, 'lddw is missing its second slot', { index: i });
      if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.offset !== 0) {
        throw new VmLoadError(VmErrorCode.LDDW_TRUNCATED, 'second slot of lddw must have opcode, registers and offset 0', { index: i + 1 });
      }
      lddwSecond[i + 1] = 1;
      i++;
    }
  }

  const targets = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const info = infos[i];
    if (!info) continue;
    const inst = slots[i]!;
    let target: number | undefined;
    if (info.kind === 'ja' || info.kind === 'jcond') target = i + 1 + inst.offset;
    else if (info.kind === 'ja32') target = i + 1 + inst.imm;
    else if (info.kind === 'call' && inst.src === CallKind.LOCAL) target = i + 1 + inst.imm;
    else if (info.kind === 'call' && options.helpers && !options.helpers.has(inst.imm)) {
      throw new VmLoadError(VmErrorCode.UNKNOWN_HELPER, `call to unknown helper ${inst.imm}`, { index: i });
    }
    if (target === undefined) continue;
    if (target < 0 || target >= count) {
      throw new VmLoadError(VmErrorCode.JUMP_OUT_OF_RANGE, `${info.mnemonic} to ${target} is outside the program (0..${count - 1})`, { index: i });
    }
    if (lddwSecond[target]) {
      throw new VmLoadError(VmErrorCode.JUMP_INTO_LDDW, `${info.mnemonic} to ${target} lands inside an lddw`, { index: i });
    }
    targets.set(i, target);
  }

  const last = count - 1 - (lddwSecond[count - 1] ? 1 : 0);
  const lastKind = infos[last]?.kind;
  if (lastKind !== 'exit' && lastKind !== 'ja' && lastKind !== 'ja32') {
    throw new VmLoadError(VmErrorCode.FALLS_OFF_END, 'the last instruction must be exit or an unconditional jump', { index: last });
  }
  return { slots, infos, targets };
}
