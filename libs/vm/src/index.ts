export { assemble } from './isa/assemble.js';
export { disassemble, formatInstruction, type DisassembleOptions } from './isa/disassemble.js';
export { decodeProgram, validateSlots, MAX_PROGRAM_SLOTS, type DecodedProgram, type DecodeOptions } from './isa/decode.js';
export { encodeProgram, readSlot, INSTRUCTION_BYTES, type RawInstruction } from './isa/instruction.js';
export { INSTRUCTION_TABLE, opcodeInfo, type OpcodeInfo, type Kind } from './isa/instruction-table.js';
export { Interpreter, RunResult, DEFAULT_BUDGET, type InterpreterOptions, type RunOptions, type TraceStep } from './interpreter/interpreter.js';
export { HelperTable, type HelperContext, type HelperFunction, type HelperDefinition } from './helpers.js';
export {
  layoutRegions, STACK_ADDRESS, STACK_TOP, STACK_BYTES, STACK_FRAME_BYTES, MAX_CALL_DEPTH, FIRST_REGION_ADDRESS,
  type MemoryRegion, type RegionSpec,
} from './memory.js';
export { VmLoadError, VmFault, AssemblyError, VerifierError, VmErrorCode, type SourceLocation } from './errors.js';
export { verify, MAX_VERIFIED_SLOTS, MAX_ANALYSED_INSTRUCTIONS, type VerifyOptions } from './verifier/verify.js';
export { loadObject, type LoadedObject, type LoadObjectOptions, type MapDefinition, type DataSection } from './elf/load-object.js';
export { ElfError } from './elf/elf-error.js';
export { writeObject } from './elf/write-object.js';
export { loadProgram, DEFAULT_PROGRAM_BUDGET, type LoadedProgram, type LoadProgramOptions } from './program/load-program.js';
export {
  ProgramInstance, BatchResult, ipHeaderLength, type PacketSlots, type PacketResult, type BatchPacket, type EngineName, type ProgramInstanceOptions,
} from './program/instance.js';
export { WasmEngine, type WasmEngineOptions } from './wasm/wasm-engine.js';
export { compileProgram, loadCompiler, compilerLoaded } from './wasm/compiler.js';
export { COMPILER_VERSION, type CompileOptions, type CompiledProgram, type WasmRegion, type PacketFill, type BatchLayout } from './wasm/compiled.js';
export {
  compiledFor, ensureCompiled, compileKey, setModuleStore, programRegions, seedCompiled, defaultBatchCapacity, type ModuleStore,
} from './wasm/program-cache.js';
export { WasmInstance, MAX_WASM_BUDGET } from './wasm/wasm-instance.js';
export { STATUS_CACHE_BYTES } from './wasm/layout.js';
export {
  PROGRAM_TYPES, programTypeForSection, CF_EBPF_GENERIC, FLOWSHIELD, XDP, SOCKET, PFP_DATA_BYTES,
  type ProgramType, type ProgramTypeName, type Verdict,
} from './platform/program-types.js';
export type { Platform, ContextLayout, ContextField, HelperPrototype, ArgKind, ReturnKind, RegionInfo, MapInfo } from './platform/types.js';
export type { VerifiedProgram } from './verifier/types.js';
export {
  Status, RunEffects, systemClock,
  type HostEnvironment, type StateStore, type StatusEntry, type PacketMeta, type ChallengeEngine, type Clock,
} from './abi/host.js';
export { InMemoryState } from './abi/memory-state.js';
export { LruTable, type LruTableOptions } from './tables/lru-table.js';
export { TokenBuckets, TOKEN_BUCKET_BYTES } from './abi/token-bucket.js';
export { StatusTable, U64Table, flowKeyInto, IP_KEY_BYTES, FLOW_KEY_BYTES, type StoredStatus } from './tables/state-tables.js';
export { entropyMillibits, formatPrintf } from './abi/pfp-helpers.js';
