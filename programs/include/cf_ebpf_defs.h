/*
 * cf_ebpf_defs.h — flowshield's own implementation of the types that Cloudflare Programmable
 * Flow Protection (PFP) programs expect from a header of this name.
 *
 * Written for flowshield (not a copy of PFP's file): it keeps PFP's published names, layouts
 * and behaviour so that a program written against PFP's headers compiles here unmodified:
 *
 *     #define CF_EBPF_HELPER_V0
 *     #include <cf_ebpf_defs.h>
 *     #include <cf_ebpf_helper.h>
 *     uint64_t cf_ebpf_main(void *state) { struct cf_ebpf_generic_ctx *ctx = state; ... }
 *
 * Freestanding: no system header is included (see fs_base.h for why).
 *
 * ABI of a PFP ("cf_ebpf_generic") program, as flowshield runs it:
 *   - entry symbol `cf_ebpf_main`, in section "cf_ebpf_generic" or in no named section
 *     (plain `.text`); `uint64_t cf_ebpf_main(void *state)`;
 *   - r1 (`state`) points at a struct cf_ebpf_generic_ctx;
 *   - ctx->data points at a struct cf_ebpf_packet_data: the packet from its IP header on;
 *     ctx->data_end points one past the end of that whole struct: data + 1520, which is
 *     sizeof(struct cf_ebpf_packet_data) (16 + 1500 bytes, padded to a multiple of 8);
 *     parse_packet_data() refuses a context whose data_end is any closer;
 *   - the return value is CF_EBPF_PASS (0) or CF_EBPF_DROP (1); any other value is a program
 *     error and the packet gets the tenant's configured fail verdict;
 *   - only UDP packets (IPv4 or IPv6) are handed to the program; everything else is handled
 *     before it runs.
 */
#ifndef FLOWSHIELD_CF_EBPF_DEFS_H
#define FLOWSHIELD_CF_EBPF_DEFS_H

#include "fs_base.h"

/* Verdicts. */
enum cf_ebpf_return_type {
    CF_EBPF_PASS = 0, /* deliver the packet to the origin */
    CF_EBPF_DROP = 1, /* discard it (a challenge set with set_challenge is still sent) */
};

/* What ctx->data points at. */
struct cf_ebpf_packet_data {
    /* Bytes of packet held in packet_buffer (never more than 1500). */
    size_t total_packet_length;
    /* Bytes of IP header: IPv4 including options, IPv6 including the extension headers the
     * edge walked before reaching UDP. The UDP header starts at packet_buffer[ip_header_length]. */
    size_t ip_header_length;
    /* The packet, starting with its IP header. Bytes past total_packet_length are zero. */
    uint8_t packet_buffer[1500];
};

/* What r1 points at on entry. */
struct cf_ebpf_generic_ctx {
    uint64_t data;     /* address of a struct cf_ebpf_packet_data */
    uint64_t data_end; /* address one past its end */
    union {            /* scratch value for the program; PFP's docs spell it both ways */
        uint64_t metadata;
        uint64_t meta_data;
    };
};

/* Header pointers filled in by parse_packet_data(). Exactly one of ipv4/ipv6 is set. */
struct cf_ebpf_parsed_headers {
    struct iphdr *ipv4;   /* NULL unless the packet is IPv4 */
    struct ipv6hdr *ipv6; /* NULL unless the packet is IPv6 */
    struct udphdr *udp;   /* always set on success; 8 bytes are known to be present */
    uint8_t *data_end;    /* one past the last packet byte: compare payload pointers to it */
};

_Static_assert(sizeof(struct cf_ebpf_generic_ctx) == 24, "context is three u64");
/* 16 + 1500 bytes rounded up to the 8-byte alignment of its size_t fields. */
_Static_assert(sizeof(struct cf_ebpf_packet_data) == 1520, "packet data is 1520 bytes");

/*
 * Validates the context and locates the IP and UDP headers.
 * Returns 0 on success (out_headers filled, *out_p set when out_p is not NULL) and 1 when the
 * context or packet is unusable: context too small, length fields out of range, IP version
 * neither 4 nor 6, or IP/UDP header not fully present. Every check is made against an end
 * pointer, in the form verifiers understand.
 */
static __always_inline int parse_packet_data(struct cf_ebpf_generic_ctx *ctx,
                                             struct cf_ebpf_packet_data **out_p,
                                             struct cf_ebpf_parsed_headers *out_headers)
{
    if (ctx == NULL || out_headers == NULL)
        return 1;

    struct cf_ebpf_packet_data *pkt = (struct cf_ebpf_packet_data *)(uintptr_t)ctx->data;
    if ((uint8_t *)(pkt + 1) > (uint8_t *)(uintptr_t)ctx->data_end)
        return 1;

    uint64_t captured = pkt->total_packet_length;
    uint64_t ip_len = pkt->ip_header_length;
    if (captured > sizeof(pkt->packet_buffer) || ip_len > captured)
        return 1;

    uint8_t *start = pkt->packet_buffer;
    uint8_t *end = start + captured;
    struct cf_ebpf_parsed_headers found = {0};
    found.data_end = end;

    if (start + 1 > end)
        return 1;
    uint8_t version = start[0] >> 4;
    if (version == 4) {
        if (ip_len < sizeof(struct iphdr) || start + sizeof(struct iphdr) > end)
            return 1;
        found.ipv4 = (struct iphdr *)start;
    } else if (version == 6) {
        if (ip_len < sizeof(struct ipv6hdr) || start + sizeof(struct ipv6hdr) > end)
            return 1;
        found.ipv6 = (struct ipv6hdr *)start;
    } else {
        return 1;
    }

    struct udphdr *udp = (struct udphdr *)(start + ip_len);
    if ((uint8_t *)(udp + 1) > end)
        return 1;
    found.udp = udp;

    if (out_p != NULL)
        *out_p = pkt;
    *out_headers = found;
    return 0;
}

/*
 * Byte-wise comparison with the usual contract: 0 when equal, otherwise -1 or 1 after the
 * first differing byte. There is no libc in a BPF program, so PFP programs get it from here.
 * Keep `length` a compile-time constant so that the loop stays bounded and small.
 */
static __always_inline __attribute__((no_builtin)) int memcmp(const void *left, const void *right,
                                                              size_t length)
{
    const uint8_t *a = (const uint8_t *)left;
    const uint8_t *b = (const uint8_t *)right;
    for (size_t i = 0; i < length; i++) {
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

#endif /* FLOWSHIELD_CF_EBPF_DEFS_H */
