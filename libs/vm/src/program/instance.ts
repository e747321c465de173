import type { HostEnvironment, PacketMeta } from '../abi/host.js';
import { RunEffects } from '../abi/host.js';
import { MapStore } from '../abi/maps.js';
import { RunBinding } from '../abi/run-binding.js';
import { HelperTable } from '../helpers.js';
import { Interpreter, type TraceStep } from '../interpreter/interpreter.js';
import type { VmFault } from '../errors.js';
import { CONTEXT_ADDRESS, PACKET_ADDRESS, type MemoryRegion } from '../memory.js';
import type { Verdict } from '../platform/program-types.js';
import type { LoadedProgram } from './load-program.js';

export interface PacketResult {
  /** 'error' when the run faulted or returned a value its type does not define */
  verdict: Verdict;
  r0: bigint;
  fault: VmFault | null;
  effects: RunEffects;
  steps: number;
}

/**
 * One tenant's running copy of a program: its own context, packet buffer, writable data and
 * maps (so tenants never share memory), its helper table bound to the host, and an engine.
 */
export class ProgramInstance {
  readonly binding: RunBinding;
  private readonly interpreter: Interpreter;
  private readonly regions: MemoryRegion[];
  private readonly ctx: DataView;
  private readonly packet: Uint8Array;
  private lastPacketBytes = 0;

  constructor(readonly program: LoadedProgram, env: HostEnvironment) {
    const { type, object } = program;
    const maps = new MapStore(object.maps, object.mapsAddress);
    this.binding = new RunBinding(env, maps);
    const binding = this.binding;
    const helpers = new HelperTable(type.helpers.map((spec) => ({ id: spec.id, name: spec.name, args: undefined, fn: (ctx) => spec.impl(ctx, binding) })));
    this.interpreter = new Interpreter(program.decoded, { helpers, budget: program.budget ?? Number.MAX_SAFE_INTEGER });
    const ctxBytes = new Uint8Array(type.context.size);
    this.ctx = new DataView(ctxBytes.buffer);
    this.packet = new Uint8Array(type.packetRegionBytes);
    this.regions = [
      { name: 'context', address: CONTEXT_ADDRESS, bytes: ctxBytes, writable: type.context.writable },
      { name: 'packet', address: PACKET_ADDRESS, bytes: this.packet, writable: false },
      // Writable data is this instance's own copy; read-only data can be shared.
      ...object.dataSections.map((d) => ({ name: d.name, address: d.address, bytes: d.writable ? d.bytes.slice() : d.bytes, writable: d.writable })),
      ...maps.regions,
    ];
  }

  /** Runs the program over one IP packet (from its IP header on). */
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
    const written = type.fill(this.ctx, this.packet, ip, {
      ctxAddress: CONTEXT_ADDRESS,
      packetAddress: PACKET_ADDRESS,
      ipHeaderLength: ipHeaderLength(ip),
      packetLength: ip.length,
    });
    // Bytes past the packet read as zero, never as an earlier packet.
    if (written < this.lastPacketBytes) this.packet.fill(0, written, this.lastPacketBytes);
    this.lastPacketBytes = written;
    const result = this.interpreter.run({ regions: this.regions, args: [CONTEXT_ADDRESS], trace: options.trace });
    const verdict = result.fault ? 'error' : type.verdict(result.lo, result.hi);
    return { verdict, r0: result.value, fault: result.fault, effects: binding.effects, steps: result.steps };
  }
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
