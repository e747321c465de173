/*
 * linux_compat.h — what XDP and socket-filter programs need from Linux, for flowshield's VM.
 *
 * Freestanding replacement for <linux/bpf.h> + <bpf/bpf_helpers.h> + <bpf/bpf_endian.h>,
 * limited to what flowshield supports. Written for flowshield; names and numbers are Linux's.
 * The stand-ins linux/{bpf,types,if_ether,ip,ipv6,udp,in}.h and bpf/bpf_{helpers,endian}.h in
 * this folder include this file, so existing sources compile unmodified with
 * `-I programs/include`.
 *
 * ---- Program types ---------------------------------------------------------------------------
 *   SEC("xdp")     int prog(struct xdp_md *ctx)      returns XDP_PASS / XDP_DROP / XDP_TX
 *                  (XDP_ABORTED counts as a program error). The packet starts at its
 *                  Ethernet header: ctx->data .. ctx->data_end.
 *   SEC("socket")  int prog(struct __sk_buff *skb)   Linux socket-filter semantics, as used by
 *                  nftables' xt_bpf match and flowshield's firewall `bpf("...")` match: the
 *                  packet starts at its IP header; read it with bpf_skb_load_bytes(); return 0
 *                  for "no match / drop" and non-zero (conventionally skb->len) for "match /
 *                  keep".
 *
 * ---- Helpers (Linux numbers) -----------------------------------------------------------------
 *    1 bpf_map_lookup_elem(map, key)              pointer to the value, or NULL
 *    2 bpf_map_update_elem(map, key, value, flags) 0 or negative (flags: BPF_ANY/NOEXIST/EXIST)
 *    3 bpf_map_delete_elem(map, key)              0 or negative (-ENOENT when absent)
 *    5 bpf_ktime_get_ns()                         monotonic nanoseconds
 *    7 bpf_get_prandom_u32()                      random u32
 *   26 bpf_skb_load_bytes(skb, offset, to, len)   0, or negative when out of range
 * No other Linux helper is available; a program that calls one is rejected by the verifier.
 *
 * ---- Maps --------------------------------------------------------------------------------------
 * Types BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_LRU_HASH, defined BTF-style in
 * section ".maps" (preferred) or as a legacy struct bpf_map_def in section "maps":
 *
 *     struct {
 *         __uint(type, BPF_MAP_TYPE_LRU_HASH);
 *         __uint(max_entries, 4096);
 *         __type(key, __u32);
 *         __type(value, __u64);
 *     } counts SEC(".maps");
 *
 * Maps are per program instance and local to the edge that runs it (they are not replicated).
 */
#ifndef FLOWSHIELD_LINUX_COMPAT_H
#define FLOWSHIELD_LINUX_COMPAT_H

#include "fs_base.h"

/* ---- XDP ---------------------------------------------------------------------------------- */
enum xdp_action {
    XDP_ABORTED = 0,
    XDP_DROP = 1,
    XDP_PASS = 2,
    XDP_TX = 3,
    XDP_REDIRECT = 4,
};

/* The first fields are Linux's and only those are supported: data and data_end are 32-bit
 * fields that the VM turns into packet pointers, as the kernel does. */
struct xdp_md {
    __u32 data;
    __u32 data_end;
    __u32 data_meta;
    __u32 ingress_ifindex;
    __u32 rx_queue_index;
    __u32 egress_ifindex;
};

/* ---- socket filter ------------------------------------------------------------------------ */
/* Linux's leading fields of struct __sk_buff, in order. A socket filter reads packet bytes with
 * bpf_skb_load_bytes(); `len` is the packet length from the IP header, `protocol` the
 * EtherType in network order (ETH_P_IP or ETH_P_IPV6). Other fields read as 0. */
struct __sk_buff {
    __u32 len;
    __u32 pkt_type;
    __u32 mark;
    __u32 queue_mapping;
    __u32 protocol;
    __u32 vlan_present;
    __u32 vlan_tci;
    __u32 vlan_proto;
    __u32 priority;
    __u32 ingress_ifindex;
    __u32 ifindex;
    __u32 tc_index;
    __u32 cb[5];
    __u32 hash;
    __u32 tc_classid;
    __u32 data;
    __u32 data_end;
    __u32 napi_id;
    __u32 family;
    __u32 remote_ip4;
    __u32 local_ip4;
    __u32 remote_ip6[4];
    __u32 local_ip6[4];
    __u32 remote_port;
    __u32 local_port;
    __u32 data_meta;
};

/* ---- Ethernet ----------------------------------------------------------------------------- */
#define ETH_ALEN 6
#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_8021Q 0x8100
#define ETH_P_IPV6 0x86DD

struct ethhdr {
    unsigned char h_dest[ETH_ALEN];
    unsigned char h_source[ETH_ALEN];
    __be16 h_proto;
} __attribute__((packed));

_Static_assert(sizeof(struct ethhdr) == 14, "struct ethhdr must match the wire layout");

/* ---- maps --------------------------------------------------------------------------------- */
enum bpf_map_type {
    BPF_MAP_TYPE_UNSPEC = 0,
    BPF_MAP_TYPE_HASH = 1,
    BPF_MAP_TYPE_ARRAY = 2,
    BPF_MAP_TYPE_LRU_HASH = 9,
};

/* bpf_map_update_elem flags. */
#define BPF_ANY 0     /* create or update */
#define BPF_NOEXIST 1 /* create only */
#define BPF_EXIST 2   /* update only */

/* BTF-style map definition fields: the values are encoded in the types so that the loader
 * reads them from BTF (or, without BTF, from the symbol's size and the debug info). */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]

/* Legacy definition, in SEC("maps"). */
struct bpf_map_def {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

/* ---- helpers ------------------------------------------------------------------------------ */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
                                   __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) =
    (void *)26;

/* ---- what libbpf's bpf_helpers.h / bpf_endian.h add ---------------------------------------- */
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#define __constant_htons(x) __fs_be16(x)
#define __constant_ntohs(x) __fs_be16(x)
#define __constant_htonl(x) __fs_be32(x)
#define __constant_ntohl(x) __fs_be32(x)
#define bpf_htonll(x) __fs_be64(x)
#define bpf_ntohll(x) __fs_be64(x)

/* bpf_trace_printk (helper 6) is not available; bpf_printk() compiles to nothing so that debug
 * prints left in a program do not stop it from loading. It evaluates to 0. */
#ifndef bpf_printk
#define bpf_printk(fmt, ...) (0)
#endif

/* Linux-style license marker; accepted and ignored (flowshield has no GPL-only helpers). */
#ifndef FS_LICENSE
#define FS_LICENSE(text) char _license[] SEC("license") = text
#endif

#endif /* FLOWSHIELD_LINUX_COMPAT_H */
