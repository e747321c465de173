/*
 * fs_base.h — the freestanding ground floor shared by every flowshield program header.
 *
 * Programs are compiled with `clang -target bpf -O2 -g -c -I programs/include`. On Debian,
 * `#include <stdint.h>` under `-target bpf` reaches for 32-bit glibc stubs and fails, so these
 * headers include no system header at all: the integer types below come from the compiler's own
 * predefined macros (__UINT8_TYPE__ and friends), which are correct for the BPF target
 * (64-bit `long`, little-endian unless you pass `-target bpfeb`).
 *
 * What lives here:
 *   - fixed-width integer types, in three spellings so that code written for PFP (uint8_t),
 *     the Linux kernel (__u8) or flowshield (u8) all compile;
 *   - size_t, NULL, bool;
 *   - byte-order conversion macros (ntohs, htonl, ..., bpf_ntohs, ...);
 *   - SEC() and __always_inline;
 *   - the IPv4, IPv6 and UDP header structs with the Linux field names
 *     (struct iphdr, struct ipv6hdr, struct udphdr), bit-for-bit the wire layout.
 *
 * You normally do not include this file yourself: flowshield.h, cf_ebpf_defs.h,
 * cf_ebpf_helper.h and linux_compat.h all include it.
 */
#ifndef FLOWSHIELD_FS_BASE_H
#define FLOWSHIELD_FS_BASE_H

/* ---- integer types ------------------------------------------------------------------------
 * Repeating an identical typedef is legal C11, so a program that also pulls in <stdint.h>
 * (for instance with -ffreestanding) still compiles. */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;

/* Kernel spellings, used by linux_compat.h and by existing XDP / socket-filter sources. */
typedef __INT8_TYPE__ __s8;
typedef __INT16_TYPE__ __s16;
typedef __INT32_TYPE__ __s32;
typedef __INT64_TYPE__ __s64;
typedef __UINT8_TYPE__ __u8;
typedef __UINT16_TYPE__ __u16;
typedef __UINT32_TYPE__ __u32;
typedef __UINT64_TYPE__ __u64;
typedef __UINT16_TYPE__ __be16;
typedef __UINT32_TYPE__ __be32;
typedef __UINT64_TYPE__ __be64;
typedef __UINT16_TYPE__ __sum16;
typedef __UINT32_TYPE__ __wsum;

/* Short spellings used throughout flowshield.h and the examples. */
typedef __INT8_TYPE__ s8;
typedef __INT16_TYPE__ s16;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;

#ifndef NULL
#define NULL ((void *)0)
#endif

#if !defined(__cplusplus) && !defined(__bool_true_false_are_defined)
#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1
#endif

/* ---- placement and inlining ---------------------------------------------------------------
 * SEC("name") puts a function or variable in an ELF section. The loader picks the program
 * type from the section of the entry function: "cf_ebpf_generic" (or no section: the PFP ABI),
 * "flowshield" (PFP ABI + flowshield helpers 64+), "xdp", "socket". Map definitions go in
 * ".maps" (BTF style) or "maps" (legacy struct bpf_map_def). */
#ifndef SEC
#define SEC(name) __attribute__((section(name), used))
#endif

/* Small helpers must be inlined: a call to a non-inlined static function is a bpf-to-bpf call,
 * which works, but costs a frame and hides packet-pointer ranges from the verifier. */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#ifndef __packed
#define __packed __attribute__((packed))
#endif

/* ---- byte order ---------------------------------------------------------------------------
 * Wire fields are big-endian; the BPF target is little-endian unless compiled for bpfeb.
 * Each macro is guarded so that a program defining its own keeps it. They expand to the
 * compiler builtins, which become a single BPF `be16/be32/be64` instruction. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define __fs_be16(x) ((uint16_t)(x))
#define __fs_be32(x) ((uint32_t)(x))
#define __fs_be64(x) ((uint64_t)(x))
#else
#define __fs_be16(x) ((uint16_t)__builtin_bswap16((uint16_t)(x)))
#define __fs_be32(x) ((uint32_t)__builtin_bswap32((uint32_t)(x)))
#define __fs_be64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#endif

#ifndef ntohs
#define ntohs(x) __fs_be16(x)
#endif
#ifndef htons
#define htons(x) __fs_be16(x)
#endif
#ifndef ntohl
#define ntohl(x) __fs_be32(x)
#endif
#ifndef htonl
#define htonl(x) __fs_be32(x)
#endif
#ifndef ntohll
#define ntohll(x) __fs_be64(x)
#endif
#ifndef htonll
#define htonll(x) __fs_be64(x)
#endif
/* libbpf's names (bpf_endian.h), for XDP and socket-filter sources. */
#ifndef bpf_ntohs
#define bpf_ntohs(x) __fs_be16(x)
#endif
#ifndef bpf_htons
#define bpf_htons(x) __fs_be16(x)
#endif
#ifndef bpf_ntohl
#define bpf_ntohl(x) __fs_be32(x)
#endif
#ifndef bpf_htonl
#define bpf_htonl(x) __fs_be32(x)
#endif

/* ---- protocol numbers ---------------------------------------------------------------------- */
#ifndef IPPROTO_UDP
#define IPPROTO_HOPOPTS 0   /* IPv6 hop-by-hop options */
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ROUTING 43  /* IPv6 routing header */
#define IPPROTO_FRAGMENT 44 /* IPv6 fragment header */
#define IPPROTO_ICMPV6 58
#define IPPROTO_NONE 59     /* IPv6 no next header */
#define IPPROTO_DSTOPTS 60  /* IPv6 destination options */
#endif

/* IPv4 frag_off field (network order once converted with ntohs): more-fragments flag and the
 * 13-bit offset. A packet with either set is a fragment; only the first carries the UDP header. */
#define FS_IP_MF 0x2000
#define FS_IP_OFFMASK 0x1fff

/* ---- wire headers ---------------------------------------------------------------------------
 * Same names and layout as Linux's uapi headers (and as PFP's), so code that dereferences
 * `ip->protocol` or `udp->dest` compiles unchanged. Multi-byte fields are in network order. */
struct iphdr {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t version : 4, ihl : 4;
#else
    uint8_t ihl : 4, version : 4; /* ihl counts 32-bit words: header bytes = ihl * 4 */
#endif
    uint8_t tos;
    uint16_t tot_len;
    uint16_t id;
    uint16_t frag_off;
    uint8_t ttl;
    uint8_t protocol;
    uint16_t check;
    uint32_t saddr;
    uint32_t daddr;
};

struct ipv6hdr {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t version : 4, priority : 4;
#else
    uint8_t priority : 4, version : 4;
#endif
    uint8_t flow_lbl[3];
    uint16_t payload_len;
    uint8_t nexthdr;
    uint8_t hop_limit;
    uint8_t saddr[16];
    uint8_t daddr[16];
};

struct udphdr {
    uint16_t source;
    uint16_t dest;
    uint16_t len; /* header + payload, bytes */
    uint16_t check;
};

_Static_assert(sizeof(struct iphdr) == 20, "struct iphdr must match the wire layout");
_Static_assert(sizeof(struct ipv6hdr) == 40, "struct ipv6hdr must match the wire layout");
_Static_assert(sizeof(struct udphdr) == 8, "struct udphdr must match the wire layout");

#endif /* FLOWSHIELD_FS_BASE_H */
