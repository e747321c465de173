export { assemble } from './isa/assemble.js';
export { disassemble, formatInstruction, type DisassembleOptions } from './isa/disassemble.js';
export { decodeProgram, validateSlots, MAX_PROGRAM_SLOTS, type DecodedProgram, type DecodeOptions } from './isa/decode.js';
export { encodeProgram, readSlot, INSTRUCTION_BYTES, type RawInstruction } from './isa/instruction.js';
export { INSTRUCTION_TABLE, opcodeInfo, type OpcodeInfo, type Kind } from './isa/instruction-table.js';
export { Interpreter, RunResult, DEFAULT_BUDGET, type InterpreterOptions, type RunOptions, type TraceStep } from './interpreter/interpreter.js';
export { HelperTable, type HelperContext, type HelperFunction, type HelperDefinition, type HelperArgKind } from './helpers.js';
export {
  layoutRegions, STACK_ADDRESS, STACK_TOP, STACK_BYTES, STACK_FRAME_BYTES, MAX_CALL_DEPTH, FIRST_REGION_ADDRESS,
  type MemoryRegion, type RegionSpec,
} from './memory.js';
export { VmLoadError, VmFault, AssemblyError, VerifierError, VmErrorCode, type SourceLocation } from './errors.js';
export { verify, MAX_VERIFIED_SLOTS, MAX_ANALYSED_INSTRUCTIONS, type VerifyOptions } from './verifier/verify.js';
