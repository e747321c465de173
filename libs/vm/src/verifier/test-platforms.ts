import { CF_EBPF_GENERIC } from '../platform/program-types.js';
import type { HelperPrototype, Platform, RegionInfo } from '../platform/types.js';

/*
 * Platforms for the verifier's tests (not exported from the package): a PFP-like context whose
 * `data` points at a fixed 1516-byte packet region, an XDP-like one with 32-bit data/data_end
 * fields over a packet of exact size (no listed region: only data_end comparisons prove bounds),
 * and variants without a budget or with a writable context.
 */

// Above the stack (memory.ts: STACK_ADDRESS to STACK_TOP), as every region must be.
export const CONTEXT_ADDRESS = 0x8000;
export const PACKET_ADDRESS = 0x10000;
export const RODATA_ADDRESS = 0x20000;
export const DATA_ADDRESS = 0x21000;
export const MAP_VALUES_ADDRESS = 0x30000;
export const PFP_PACKET_BYTES = 1516;
export const COUNTERS_MAP_HANDLE = 1;
export const FLAGS_MAP_HANDLE = 2;

export const TEST_HELPERS: readonly HelperPrototype[] = [
  { id: 1, name: 'rand', args: [], returns: 'scalar' },
  { id: 2, name: 'hash', args: ['mem', 'size', 'mem-out', 'size'], returns: 'scalar' },
  { id: 3, name: 'set_status', args: ['scalar', 'scalar'], returns: 'scalar' },
  { id: 4, name: 'get_status', args: ['mem-or-null', 'size'], returns: 'scalar' },
  { id: 5, name: 'map_lookup', args: ['map', 'map-key'], returns: 'map-value-or-null' },
  { id: 6, name: 'map_update', args: ['map', 'map-key', 'map-value', 'scalar'], returns: 'scalar' },
  { id: 7, name: 'ctx_len', args: ['ctx'], returns: 'scalar' },
  { id: 8, name: 'printf', args: ['mem', 'size', 'any', 'any', 'any'], returns: 'scalar' },
  { id: 9, name: 'get_status_out', args: ['mem-out-or-null', 'size', 'mem-out-or-null', 'size'], returns: 'scalar' },
];

export const TEST_REGIONS: readonly RegionInfo[] = [
  { name: '.rodata', address: RODATA_ADDRESS, size: 32, writable: false },
  { name: '.data', address: DATA_ADDRESS, size: 16, writable: true },
];

const helpers = new Map(TEST_HELPERS.map((h) => [h.id, h]));
const maps = [
  { name: 'counters', handle: COUNTERS_MAP_HANDLE, keySize: 4, valueSize: 16 },
  { name: 'flags', handle: FLAGS_MAP_HANDLE, keySize: 8, valueSize: 1 },
];

export const PFP_LIKE: Platform = {
  name: 'pfp',
  // The PFP context layout itself, with the verifier's own test helpers and regions.
  context: CF_EBPF_GENERIC.context,
  helpers,
  regions: [{ name: 'packet', address: PACKET_ADDRESS, size: PFP_PACKET_BYTES, writable: false }, ...TEST_REGIONS],
  maps,
  budget: 10_000,
};

export const XDP_LIKE: Platform = {
  name: 'xdp',
  context: {
    size: 12,
    writable: false,
    fields: [
      { name: 'data', offset: 0, size: 4, kind: 'packet', region: 'packet' },
      { name: 'data_end', offset: 4, size: 4, kind: 'packet-end', region: 'packet' },
      { name: 'ifindex', offset: 8, size: 4, kind: 'scalar' },
    ],
  },
  helpers,
  regions: TEST_REGIONS,
  maps,
  budget: 10_000,
};

export const TEST_PLATFORMS: Readonly<Record<string, Platform>> = {
  pfp: PFP_LIKE,
  xdp: XDP_LIKE,
  'pfp-no-budget': { ...PFP_LIKE, name: 'pfp-no-budget', budget: null },
  'xdp-writable-ctx': { ...XDP_LIKE, name: 'xdp-writable-ctx', context: { ...XDP_LIKE.context, writable: true } },
  'pfp-lines': { ...PFP_LIKE, lineOf: (index) => ({ file: '/src/app/prog.c', line: 100 + index, ...(index === 0 ? {} : { column: 5 + index }) }) },
};
