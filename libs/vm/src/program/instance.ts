import type { HostEnvironment, PacketMeta } from '../abi/host.js';
import { RunEffects } from '../abi/host.js';
import { MapStore } from '../abi/maps.js';
import { RunBinding } from '../abi/run-binding.js';
import { HelperTable } from '../helpers.js';
import { Interpreter, type RunOptions, type TraceStep } from '../interpreter/interpreter.js';
import type { VmFault } from '../errors.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS, type MemoryRegion } from '../memory.js';
import type { PacketLayout, Verdict } from '../platform/program-types.js';
import { RunState, SLOT_DATA, SLOT_IHL, SLOT_LENGTH, SLOT_R0, SLOT_STATE, SLOT_STEPS } from '../wasm/layout.js';
import { compiledFor, defaultBatchCapacity } from '../wasm/program-cache.js';
import type { CompiledProgram } from '../wasm/compiled.js';
import { WasmInstance } from '../wasm/wasm-instance.js';
import { StatusCache } from '../wasm/status-cache.js';
import { toBigU } from '../interpreter/int64.js';
import type { LoadedProgram } from './load-program.js';

/** `wasm` (compiled, the default) or `interp` (the reference interpreter; traces always use it). */
export type EngineName = 'wasm' | 'interp';

export interface ProgramInstanceOptions {
  /** default 'wasm' */
  engine?: EngineName;
  /** packets one wasm batch call takes (default 64 for PFP types, 8 for 64 KB packet types) */
  batchCapacity?: number;
  /**
   * Keep the host's status answers in the wasm instance's memory, so that get_src_ip_status on
   * a source seen before is answered without leaving wasm (default false). Takes effect with the
   * wasm engine, a PFP program and a state store that offers `statusVersion`. The cache finds a
   * source by the packet's IP header: only for hosts whose `meta.srcIp` is always that address
   * (the edge writes the header from it).
   */
  statusCache?: boolean;
}

export interface PacketResult {
  /** 'error' when the run faulted or returned a value its type does not define */
  verdict: Verdict;
  /** r0 (0 after a fault: what a register held when a run was cut short means nothing) */
  r0: bigint;
  fault: VmFault | null;
  /** valid until the next run of this instance */
  effects: RunEffects;
  steps: number;
}

/** One packet of a batch: the IP packet and what the edge derived from it. */
export interface BatchPacket {
  ip: Uint8Array;
  meta: PacketMeta;
}

/** The packet slots of an instance's memory: packet i goes at `bytes[first + i * stride ...]`, at most `maxPacket` bytes. */
export interface PacketSlots {
  readonly bytes: Uint8Array;
  readonly first: number;
  readonly stride: number;
  readonly capacity: number;
  readonly maxPacket: number;
}

/**
 * What `runBatch` returns, one entry per packet in order. Reused by the next call on the same
 * instance: read it (or copy what you keep) before running again.
 */
export class BatchResult {
  count = 0;
  verdicts: Verdict[] = [];
  r0Lo = new Int32Array(0);
  r0Hi = new Int32Array(0);
  steps = new Int32Array(0);
  faults: (VmFault | null)[] = [];
  /** the run's effects, or null when it had none (most packets) */
  effects: (RunEffects | null)[] = [];

  /** r0 of packet `i` as an unsigned 64-bit value */
  r0(i: number): bigint {
    return toBigU(this.r0Lo[i]!, this.r0Hi[i]!);
  }

  reset(count: number): void {
    this.count = count;
    if (this.r0Lo.length < count) {
      const size = Math.max(count, 2 * this.r0Lo.length);
      this.r0Lo = new Int32Array(size);
      this.r0Hi = new Int32Array(size);
      this.steps = new Int32Array(size);
    }
    if (this.verdicts.length !== count) {
      this.verdicts.length = count;
      this.faults.length = count;
      this.effects.length = count;
    }
    // Most batches have no faults and no effects: clear only what the last one set.
    if (this.dirty) {
      this.faults.fill(null);
      this.effects.fill(null);
      this.dirty = false;
    }
  }

  /** set when a fault or effects were recorded since the last reset */
  dirty = true;
}

/**
 * One tenant's running copy of a program: its own context, packet buffer, writable data and
 * maps (so tenants never share memory), its helper table bound to the host, and an engine. With
 * the wasm engine all of that lives in the instance's own linear memory.
 */
export class ProgramInstance {
  readonly binding: RunBinding;
  readonly engine: EngineName;
  private readonly helpers: HelperTable;
  private readonly regions: MemoryRegion[];
  private readonly ctx: DataView;
  private readonly packet: Uint8Array;
  private readonly wasm: WasmInstance | null = null;
  private readonly statusCache: StatusCache | null = null;

  /** The compiled module this instance runs (null on the interpreter): post it to seed another thread. */
  get compiledProgram(): CompiledProgram | null {
    return this.wasm?.compiled ?? null;
  }
  private interpreter: Interpreter | null = null;
  private lastPacketBytes = 0;
  /** Reused by every interpreted run (nothing allocated per packet for them). */
  private readonly layout: PacketLayout = { ctxAddress: CONTEXT_ADDRESS, packetAddress: PACKET_ADDRESS, ipHeaderLength: 0, packetLength: 0 };
  private runOptions: RunOptions | null = null;
  private readonly batch = new BatchResult();
  /** whether the type's layout carries the IP header length (PFP's), which the host computes */
  private readonly pfpLayout: boolean;
  // The batch being run, for binding each packet's metadata when its run calls a helper.
  private batchPackets: readonly BatchPacket[] = [];
  private batchBase = 0;
  /** the metadata of a batch run in place (runSlots), else null */
  private inPlaceMetas: readonly PacketMeta[] | null = null;
  private boundSlot = -1;

  constructor(readonly program: LoadedProgram, env: HostEnvironment, options: ProgramInstanceOptions = {}) {
    const { type, object } = program;
    this.engine = options.engine ?? 'wasm';
    this.pfpLayout = type.name === 'cf_ebpf_generic' || type.name === 'flowshield';
    const maps = new MapStore(object.maps, object.mapsAddress);
    this.binding = new RunBinding(env, maps);
    const binding = this.binding;
    this.helpers = new HelperTable(type.helpers.map((spec) => ({ id: spec.id, name: spec.name, fn: (ctx) => spec.impl(ctx, binding) })));
    const ctxSpec = { name: 'context', address: CONTEXT_ADDRESS, size: type.context.size, writable: type.context.writable };
    const packetSpec = { name: 'packet', address: PACKET_ADDRESS, size: type.packetRegionBytes, writable: false };
    // Writable data is this instance's own copy; read-only data can be shared (by the interpreter).
    const data = object.dataSections.map((d) => ({ name: d.name, address: d.address, bytes: d.writable ? d.bytes.slice() : d.bytes, writable: d.writable }));
    let ctxBytes: Uint8Array;
    if (this.engine === 'wasm') {
      const compiled = compiledFor(program, options.batchCapacity ?? defaultBatchCapacity(program));
      const wasm = new WasmInstance(compiled, this.helpers, program.budget ?? Number.MAX_SAFE_INTEGER, program.verified.bufferChecks);
      this.wasm = wasm;
      if (options.statusCache && compiled.statusCache !== null && env.state.statusVersion) {
        this.statusCache = new StatusCache(wasm.bytes.buffer as ArrayBuffer, compiled.statusCache);
      }
      ctxBytes = wasm.view(ctxSpec);
      this.packet = wasm.view(packetSpec);
      for (const d of data) {
        wasm.bytes.set(d.bytes, d.address);
        d.bytes = wasm.view({ address: d.address, size: d.bytes.length });
      }
      // Map values are program memory: MapStore allocated them; they move into this instance's
      // memory so that a lookup's pointer reaches the same bytes in both worlds.
      for (const region of maps.regions) {
        const view = wasm.view({ address: region.address, size: region.bytes.length });
        view.set(region.bytes);
        (region as { bytes: Uint8Array }).bytes = view;
      }
    } else {
      ctxBytes = new Uint8Array(type.context.size);
      this.packet = new Uint8Array(type.packetRegionBytes);
    }
    this.ctx = new DataView(ctxBytes.buffer, ctxBytes.byteOffset, ctxBytes.byteLength);
    this.regions = [
      { name: ctxSpec.name, address: ctxSpec.address, bytes: ctxBytes, writable: ctxSpec.writable },
      { name: packetSpec.name, address: packetSpec.address, bytes: this.packet, writable: false },
      ...data,
      ...maps.regions,
    ];
  }

  /** Runs the program over one IP packet (from its IP header on). A trace always runs the interpreter, over the same memory. */
  run(ip: Uint8Array, meta: PacketMeta, now: number, options: { trace?: TraceStep[] } = {}): PacketResult {
    const { type } = this.program;
    const binding = this.binding;
    binding.meta = meta;
    binding.now = now;
    binding.packet = ip;
    binding.effects.reset();
    if (ip.length > type.maxPacket) {
      return { verdict: 'error', r0: 0n, fault: null, effects: binding.effects, steps: 0 };
    }
    const wasm = this.wasm;
    if (wasm && !options.trace) {
      wasm.onHelper = null;
      wasm.writeSlot(0, ip, this.pfpLayout ? ipHeaderLength(ip) : 0);
      this.cacheOn(now);
      let trap: VmFault | null;
      try {
        trap = wasm.runSlots(0, 1);
      } finally {
        this.cacheOff();
      }
      return this.wasmResult(0, trap);
    }
    return this.interpret(ip, options.trace);
  }

  /**
   * Runs the program over many packets: with the wasm engine, `batchCapacity` packets per call
   * into wasm, which lays out each packet and runs it without coming back to TypeScript unless
   * a helper is called. Same verdicts, effects and state changes as calling `run` in order.
   */
  runBatch(packets: readonly BatchPacket[], now: number): BatchResult {
    const result = this.batch;
    result.reset(packets.length);
    const binding = this.binding;
    binding.now = now;
    const wasm = this.wasm;
    if (!wasm) {
      for (let i = 0; i < packets.length; i++) {
        const p = packets[i]!;
        const r = this.run(p.ip, p.meta, now);
        this.record(i, r.verdict, r.fault, r.steps, r.r0);
        if (!isEmpty(r.effects)) {
          result.effects[i] = copyEffects(r.effects);
          result.dirty = true;
        }
      }
      return result;
    }
    this.batchPackets = packets;
    this.inPlaceMetas = null;
    this.cacheOn(now);
    try {
      this.copyAndRun(packets);
    } finally {
      this.cacheOff();
      this.batchPackets = [];
    }
    return result;
  }

  /** runBatch's wasm path: each chunk of `capacity` packets copied into the slots, then run. */
  private copyAndRun(packets: readonly BatchPacket[]): void {
    const wasm = this.wasm!;
    const pfp = this.pfpLayout;
    const maxPacket = this.program.type.maxPacket;
    const capacity = wasm.compiled.batch!.capacity;
    const { bytes, i32, batchAddress, batchStride } = wasm;
    for (let base = 0; base < packets.length; base += capacity) {
      const n = Math.min(capacity, packets.length - base);
      // Slot headers and packets written inline (wasm-instance's writeSlot, without the calls).
      for (let j = 0, at = batchAddress; j < n; j++, at += batchStride) {
        const ip = packets[base + j]!.ip;
        if (ip.length > maxPacket) {
          i32[(at + SLOT_LENGTH) >> 2] = -1;
          continue;
        }
        i32[(at + SLOT_LENGTH) >> 2] = ip.length;
        i32[(at + SLOT_IHL) >> 2] = pfp ? ipHeaderLength(ip) : 0;
        bytes.set(ip, at + SLOT_DATA);
      }
      this.runWritten(base, n);
    }
  }

  /**
   * Where a host that receives packets straight into this instance's memory puts them (the
   * edge's native I/O can receive into `bytes` at `packetAddress(i)`): null on the interpreter.
   */
  get slots(): PacketSlots | null {
    const wasm = this.wasm;
    if (!wasm) return null;
    return { bytes: wasm.bytes, capacity: wasm.compiled.batch!.capacity, maxPacket: this.program.type.maxPacket, stride: wasm.batchStride, first: wasm.batchAddress + SLOT_DATA };
  }

  /** Declares that packet slot `i` holds an IP packet of `length` bytes (written at `slots.first + i * slots.stride`). */
  setSlotLength(i: number, length: number): void {
    const wasm = this.wasm!;
    const at = wasm.batchAddress + i * wasm.batchStride;
    if (!(i >= 0 && i < wasm.compiled.batch!.capacity)) throw new RangeError(`packet slot ${i} is not one of this instance's ${wasm.compiled.batch!.capacity}`);
    if (!(length >= 0 && length <= this.program.type.maxPacket)) {
      wasm.i32[(at + SLOT_LENGTH) >> 2] = -1;
      return;
    }
    wasm.i32[(at + SLOT_LENGTH) >> 2] = length;
    wasm.i32[(at + SLOT_IHL) >> 2] = this.pfpLayout ? ipHeaderLength(wasm.bytes.subarray(at + SLOT_DATA, at + SLOT_DATA + length)) : 0;
  }

  /**
   * `runBatch` over the packets already in slots 0..count-1 (see `slots` and `setSlotLength`):
   * nothing is copied. `metas[i]` is packet i's metadata, read only when its run calls a helper.
   */
  runSlots(count: number, metas: readonly PacketMeta[], now: number): BatchResult {
    const wasm = this.wasm;
    if (!wasm) throw new Error('runSlots needs the wasm engine: the interpreter has no packet slots');
    if (!(count >= 0 && count <= wasm.compiled.batch!.capacity)) throw new RangeError(`${count} packets do not fit this instance's ${wasm.compiled.batch!.capacity} slots`);
    this.batch.reset(count);
    this.binding.now = now;
    this.inPlaceMetas = metas;
    this.cacheOn(now);
    try {
      this.runWritten(0, count);
    } finally {
      this.cacheOff();
      this.inPlaceMetas = null;
    }
    return this.batch;
  }

  /** Runs slots 0..n-1 (written already) as packets base..base+n-1 of the batch result. */
  private runWritten(base: number, n: number): void {
    const wasm = this.wasm!;
    const { i32, batchAddress, batchStride } = wasm;
    const { type } = this.program;
    const result = this.batch;
    wasm.onHelper = this.bindSlot;
    this.batchBase = base;
    this.boundSlot = -1;
    const trap = wasm.runSlots(0, n);
    this.flushEffects();
    wasm.onHelper = null;
    const { r0Lo, r0Hi, steps, verdicts } = result;
    for (let j = 0, at = batchAddress; j < n; j++, at += batchStride) {
      const i = base + j;
      const state = i32[(at + SLOT_STATE) >> 2]!;
      if (state === RunState.OK || state === RunState.STOPPED) {
        if (trap) { this.record(i, 'error', trap, 0, 0n); continue; }
        const lo = i32[(at + SLOT_R0) >> 2]!;
        const hi = i32[(at + SLOT_R0 + 4) >> 2]!;
        r0Lo[i] = lo;
        r0Hi[i] = hi;
        steps[i] = i32[(at + SLOT_STEPS) >> 2]!;
        verdicts[i] = type.verdict(lo, hi);
      } else if (state === RunState.SKIPPED) {
        this.record(i, 'error', null, 0, 0n);
      } else {
        this.record(i, 'error', state === RunState.FAULT ? wasm.slotFault(j) : trap, i32[(at + SLOT_STEPS) >> 2]!, 0n);
      }
    }
    if (trap) wasm.clearSlots(0, wasm.compiled.batch!.capacity);
  }

  /** Before wasm runs: the cache holds answers of the state as it is now, and hears of what the helpers read and set. */
  private cacheOn(now: number): void {
    const cache = this.statusCache;
    if (!cache) return;
    let version: number;
    try {
      version = this.binding.env.state.statusVersion!();
    } catch {
      // A store that cannot say (its replica failing, say) is asked every time, as without a cache.
      return;
    }
    cache.begin(version, now);
    this.binding.statusObserver = cache;
  }

  private cacheOff(): void {
    if (!this.statusCache) return;
    this.statusCache.end();
    this.binding.statusObserver = null;
  }

  private record(i: number, verdict: Verdict, fault: VmFault | null, steps: number, r0: bigint): void {
    const result = this.batch;
    result.dirty = true;
    result.verdicts[i] = verdict;
    result.faults[i] = fault;
    result.steps[i] = steps;
    result.r0Lo[i] = Number(BigInt.asIntN(32, r0));
    result.r0Hi[i] = Number(BigInt.asIntN(32, r0 >> 32n));
  }

  /** Called by the wasm instance before a helper runs: binds the slot's packet, keeping the previous packet's effects. */
  private readonly bindSlot = (slot: number): void => {
    if (slot === this.boundSlot) return;
    this.flushEffects();
    const binding = this.binding;
    const metas = this.inPlaceMetas;
    if (metas) {
      const wasm = this.wasm!;
      const at = wasm.batchAddress + slot * wasm.batchStride;
      binding.meta = metas[slot]!;
      binding.packetIn(wasm.bytes, at + SLOT_DATA, at + SLOT_DATA + Math.max(0, wasm.i32[(at + SLOT_LENGTH) >> 2]!));
    } else {
      const p = this.batchPackets[this.batchBase + slot]!;
      binding.meta = p.meta;
      binding.packet = p.ip;
    }
    binding.effects.reset();
    this.boundSlot = slot;
  };

  private flushEffects(): void {
    if (this.boundSlot < 0) return;
    const effects = this.binding.effects;
    if (!isEmpty(effects)) {
      this.batch.effects[this.batchBase + this.boundSlot] = copyEffects(effects);
      this.batch.dirty = true;
    }
    effects.reset();
    this.boundSlot = -1;
  }

  private wasmResult(slot: number, trap: VmFault | null): PacketResult {
    const wasm = this.wasm!;
    const effects = this.binding.effects;
    const state = wasm.slotState(slot);
    if (trap || state === RunState.FAULT) {
      const fault = trap ?? wasm.slotFault(slot);
      if (trap) wasm.clearSlots(0, 1);
      return { verdict: 'error', r0: 0n, fault, effects, steps: wasm.slotSteps(slot) };
    }
    const lo = wasm.slotLo(slot);
    const hi = wasm.slotHi(slot);
    return { verdict: this.program.type.verdict(lo, hi), r0: toBigU(lo, hi), fault: null, effects, steps: wasm.slotSteps(slot) };
  }

  private interpret(ip: Uint8Array, trace: TraceStep[] | undefined): PacketResult {
    const { type } = this.program;
    const binding = this.binding;
    const layout = this.layout;
    layout.ipHeaderLength = ipHeaderLength(ip);
    layout.packetLength = ip.length;
    const written = type.fill(this.ctx, this.packet, ip, layout);
    // Bytes past the packet read as zero, never as an earlier packet. The wasm fill keeps its own
    // count of what it wrote; a traced run on a wasm instance zeroes the whole tail instead.
    const last = this.wasm ? this.packet.length : this.lastPacketBytes;
    if (written < last) this.packet.fill(0, written, last);
    this.lastPacketBytes = written;
    this.wasm?.setPacketWritten(written);
    if (!this.interpreter) this.interpreter = new Interpreter(this.program.decoded, { helpers: this.helpers, budget: this.program.budget ?? Number.MAX_SAFE_INTEGER, bufferChecks: this.program.verified.bufferChecks });
    const options = (this.runOptions ??= { regions: this.regions, packet: this.regions[1], args: [CONTEXT_ADDRESS], trace: undefined });
    options.trace = trace;
    const result = this.interpreter.run(options);
    const verdict = result.fault ? 'error' : type.verdict(result.lo, result.hi);
    return { verdict, r0: result.fault ? 0n : result.value, fault: result.fault, effects: binding.effects, steps: result.steps };
  }
}

function isEmpty(e: RunEffects): boolean {
  return e.challenge === null && e.reply === null && e.tag === null && e.statusChange === null && e.printed.length === 0;
}

function copyEffects(e: RunEffects): RunEffects {
  const copy = new RunEffects();
  copy.challenge = e.challenge;
  copy.reply = e.reply;
  copy.tag = e.tag;
  copy.statusChange = e.statusChange;
  copy.printed = e.printed.slice();
  return copy;
}

/** IPv4: IHL × 4. IPv6: 40 plus the extension headers that can be walked. */
export function ipHeaderLength(ip: Uint8Array): number {
  const version = ip[0]! >> 4;
  if (version === 4) return (ip[0]! & 0x0f) * 4;
  if (version !== 6 || ip.length < 40) return 0;
  let next = ip[6]!;
  let at = 40;
  // hop-by-hop, routing, destination options: (len + 1) * 8; fragment: 8
  while ((next === 0 || next === 43 || next === 60 || next === 44) && at + 8 <= ip.length) {
    const length = next === 44 ? 8 : (ip[at + 1]! + 1) * 8;
    next = ip[at]!;
    at += length;
  }
  return Math.min(at, ip.length);
}
