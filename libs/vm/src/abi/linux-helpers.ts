import type { HelperSpec } from './pfp-helpers.js';

const EFAULT = -14;

/** Linux helper numbers for xdp and socket-filter programs: maps, time, randomness, packet reads. */
export const LINUX_HELPERS: readonly HelperSpec[] = [
  {
    id: 1, name: 'bpf_map_lookup_elem', args: ['map', 'map-key'], returns: 'map-value-or-null',
    impl: (ctx, run) => {
      const map = run.maps.get(ctx.argNumber(1));
      if (!map) return ctx.fault('bpf_map_lookup_elem: not a map');
      return map.lookup(ctx.read(ctx.argNumber(2), map.def.keySize));
    },
  },
  {
    id: 2, name: 'bpf_map_update_elem', args: ['map', 'map-key', 'map-value', 'scalar'], returns: 'scalar',
    impl: (ctx, run) => {
      const map = run.maps.get(ctx.argNumber(1));
      if (!map) return ctx.fault('bpf_map_update_elem: not a map');
      return map.update(ctx.read(ctx.argNumber(2), map.def.keySize), ctx.read(ctx.argNumber(3), map.def.valueSize), Number(ctx.argU64(4) & 0xffn));
    },
  },
  {
    id: 3, name: 'bpf_map_delete_elem', args: ['map', 'map-key'], returns: 'scalar',
    impl: (ctx, run) => {
      const map = run.maps.get(ctx.argNumber(1));
      if (!map) return ctx.fault('bpf_map_delete_elem: not a map');
      return map.delete(ctx.read(ctx.argNumber(2), map.def.keySize));
    },
  },
  { id: 5, name: 'bpf_ktime_get_ns', args: [], returns: 'scalar', impl: (_ctx, run) => run.env.clock.monotonicNs() },
  { id: 7, name: 'bpf_get_prandom_u32', args: [], returns: 'scalar', impl: (_ctx, run) => run.env.random() >>> 0 },
  {
    id: 26, name: 'bpf_skb_load_bytes', args: ['ctx', 'scalar', 'mem-out', 'size'], returns: 'scalar',
    impl: (ctx, run) => {
      const offset = ctx.argU64(2);
      const length = ctx.argNumber(4);
      const to = ctx.write(ctx.argNumber(3), length);
      if (offset + BigInt(length) > BigInt(run.packet.length)) {
        to.fill(0);
        return EFAULT;
      }
      to.set(run.packet.subarray(Number(offset), Number(offset) + length));
      return 0;
    },
  },
];
