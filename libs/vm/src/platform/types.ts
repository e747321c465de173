import type { SourceLocation } from '../errors.js';

/*
 * What a program type gives the verifier and the engines, as data (PREVAIL's platform): the
 * context layout, the helper prototypes, and the regions and maps the loaded object defines.
 */

/** What a field of the context holds when the program loads it. */
export type ContextFieldKind =
  /** start of the packet (a pointer into the region named by `region`) */
  | 'packet'
  /** one past the packet's last byte, in the same region; compare a packet pointer with it to prove a range */
  | 'packet-end'
  /** a pointer to the start of region `region` (fixed size, known to the verifier) */
  | 'region'
  /** one past the last byte of region `region` (PFP's data_end: data + sizeof(struct cf_ebpf_packet_data)) */
  | 'region-end'
  | 'scalar';

export interface ContextField {
  name: string;
  offset: number;
  /** 4 or 8: xdp_md and __sk_buff hold pointers in 32-bit fields */
  size: 4 | 8;
  kind: ContextFieldKind;
  region?: string;
}

export interface ContextLayout {
  /** bytes of the context structure that r1 points at on entry */
  size: number;
  /** whether the program may store into its scalar fields (never over a pointer field) */
  writable: boolean;
  fields: readonly ContextField[];
}

/**
 * Helper argument kinds. A memory argument ('mem', 'mem-out', 'mem-or-null') is followed by a
 * 'size' argument giving its length in bytes.
 */
export type ArgKind =
  | 'any' // unchecked (but must be initialised)
  | 'scalar'
  | 'ctx' // the context pointer as received in r1
  | 'mem' // readable, initialised bytes
  | 'mem-or-null' // as 'mem', or the constant 0 (then its size may be anything)
  | 'mem-out' // writable bytes the helper fills (need not be initialised; initialised afterwards)
  | 'mem-out-or-null' // as 'mem-out', or the constant 0 (the helper then writes nothing there)
  | 'size' // length of the preceding memory argument; must be a proven-bounded scalar
  | 'map' // a map reference from lddw
  | 'map-key' // readable bytes of the map's key size
  | 'map-value'; // readable bytes of the map's value size

export type ReturnKind = 'scalar' | 'map-value-or-null';

export interface HelperPrototype {
  id: number;
  name: string;
  args: readonly ArgKind[];
  returns: ReturnKind;
}

/** A data region of the loaded object (.rodata, .data, .bss, the packet buffer, …). */
export interface RegionInfo {
  name: string;
  address: number;
  size: number;
  writable: boolean;
}

export interface MapInfo {
  name: string;
  /** The handle value lddw loads for this map; not a mapped address. */
  handle: number;
  keySize: number;
  valueSize: number;
}

export interface Platform {
  /** program type name, for messages */
  name: string;
  context: ContextLayout;
  helpers: ReadonlyMap<number, HelperPrototype>;
  regions: readonly RegionInfo[];
  maps: readonly MapInfo[];
  /** per-run instruction budget, or null for none (then loops are rejected) */
  budget: number | null;
  /** source line of an instruction slot, when the object carries BTF line info */
  lineOf?: (index: number) => SourceLocation | undefined;
}
