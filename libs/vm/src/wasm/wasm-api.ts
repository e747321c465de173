/*
 * The few WebAssembly JS API types the engine uses. The project compiles without the DOM lib
 * and @types/node does not declare them, so they are stated here once.
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

export const WasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
