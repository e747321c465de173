import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeProgram } from './decode.js';
import { encodeProgram, type RawInstruction } from './instruction.js';
import { assemble } from './assemble.js';
import { VmErrorCode, VmLoadError } from '../errors.js';
import { HelperTable } from '../helpers.js';

const slot = (opcode: number, fields: Partial<RawInstruction> = {}): RawInstruction => ({ opcode, dst: 0, src: 0, offset: 0, imm: 0, ...fields });
const EXIT = slot(0x95);

function rejects(bytes: Uint8Array, code: string, message: RegExp, options = {}) {
  assert.throws(() => decodeProgram(bytes, options), (err: unknown) => {
    assert.ok(err instanceof VmLoadError, `expected VmLoadError, got ${err}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}

test('decode - a truncated lddw names its instruction', () => {
  rejects(encodeProgram([slot(0xb7), slot(0x18, { imm: 1 })]), VmErrorCode.LDDW_TRUNCATED, /^instruction 1: lddw is missing its second slot$/);
  rejects(encodeProgram([slot(0x18), slot(0xb7), EXIT]), VmErrorCode.LDDW_TRUNCATED, /^instruction 1: second slot of lddw/);
});

test('decode - jumps out of range and into an lddw are rejected', () => {
  rejects(encodeProgram([slot(0x05, { offset: 5 }), EXIT]), VmErrorCode.JUMP_OUT_OF_RANGE, /^instruction 0: ja to 6 is outside the program \(0\.\.1\)$/);
  rejects(encodeProgram([slot(0x15, { offset: -3 }), EXIT]), VmErrorCode.JUMP_OUT_OF_RANGE, /^instruction 0: jeq to -2/);
  rejects(encodeProgram([slot(0x85, { src: 1, imm: 7 }), EXIT]), VmErrorCode.JUMP_OUT_OF_RANGE, /^instruction 0: call to 8/);
  rejects(encodeProgram([slot(0x05, { offset: 1 }), slot(0x18), slot(0), EXIT]), VmErrorCode.JUMP_INTO_LDDW, /^instruction 0: ja to 2 lands inside an lddw$/);
});

test('decode - unknown opcodes and reserved fields are rejected', () => {
  rejects(encodeProgram([slot(0xff), EXIT]), VmErrorCode.UNKNOWN_OPCODE, /^instruction 0: unknown opcode 0xff$/);
  rejects(encodeProgram([slot(0x8c), EXIT]), VmErrorCode.UNKNOWN_OPCODE, /unknown opcode 0x8c/); // neg with register source
  rejects(encodeProgram([slot(0xb7, { src: 3 }), EXIT]), VmErrorCode.RESERVED_FIELD, /^instruction 0: mov: reserved field src must be 0 \(is 3\)$/);
  rejects(encodeProgram([slot(0xbf, { imm: 1 }), EXIT]), VmErrorCode.RESERVED_FIELD, /reserved field imm must be 0/);
  rejects(encodeProgram([slot(0x0f, { offset: 1 }), EXIT]), VmErrorCode.RESERVED_FIELD, /offset must be one of 0/);
  rejects(encodeProgram([EXIT, slot(0x95, { dst: 1 })]), VmErrorCode.RESERVED_FIELD, /^instruction 1: exit: reserved field dst must be 0/);
  rejects(encodeProgram([slot(0xb7, { dst: 11 }), EXIT]), VmErrorCode.RESERVED_FIELD, /invalid register r11/);
  rejects(encodeProgram([slot(0xd4, { imm: 8 }), EXIT]), VmErrorCode.RESERVED_FIELD, /imm must be one of 16, 32, 64/);
  rejects(encodeProgram([slot(0xdb, { imm: 0x02 }), EXIT]), VmErrorCode.RESERVED_FIELD, /lock: imm must be one of/);
  rejects(encodeProgram([slot(0x18, { src: 1 }), slot(0), EXIT]), VmErrorCode.RESERVED_FIELD, /unresolved lddw pseudo source 1/);
});

test('decode - sizes, empty programs and falling off the end', () => {
  rejects(new Uint8Array(0), VmErrorCode.EMPTY_PROGRAM, /program is empty/);
  rejects(new Uint8Array(12), VmErrorCode.TRUNCATED, /12 bytes, not a multiple of 8/);
  rejects(encodeProgram([slot(0xb7), slot(0xb7)]), VmErrorCode.FALLS_OFF_END, /^instruction 1: the last instruction must be exit/);
  rejects(encodeProgram([EXIT, EXIT, EXIT]), VmErrorCode.PROGRAM_TOO_LARGE, /3 instructions, the limit is 2/, { maxSlots: 2 });
});

test('decode - a call to a helper the host does not provide is a load-time error', () => {
  const program = assemble('call 7\nexit');
  rejects(program, VmErrorCode.UNKNOWN_HELPER, /^instruction 0: call to unknown helper 7$/, { helpers: new HelperTable() });
  const helpers = new HelperTable([{ id: 7, name: 'seven', fn: () => 7 }]);
  assert.equal(decodeProgram(program, { helpers }).slots.length, 2);
});

test('decode - random bytes either decode or fail with a VmLoadError, never anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
      try {
        decodeProgram(bytes);
      } catch (err) {
        assert.ok(err instanceof VmLoadError, String(err));
      }
    }),
    { numRuns: 5000 },
  );
});
