/*
 * status_gate.c — the stateful PFP filter of bench/vm: the verified path of a challenge filter,
 * written as a PFP author writes it (PFP's headers and names). One status lookup per packet:
 *   VERIFIED source -> pass;  BLOCKLISTED -> drop;  anything else (unknown, challenged) -> drop
 *   (a real filter would challenge it here; the benchmark measures the lookup and the verdict).
 */
#define CF_EBPF_HELPER_V0

#include <cf_ebpf_defs.h>
#include <cf_ebpf_helper.h>

uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    struct cf_ebpf_packet_data *p;

    if (parse_packet_data(ctx, &p, &headers) != 0)
        return CF_EBPF_DROP;

    uint8_t status = CF_EBPF_SRC_IP_STATUS_NONE;
    uint64_t expiry = 0;
    if (get_src_ip_status(&status, &expiry) != 0)
        return CF_EBPF_DROP;
    return status == CF_EBPF_SRC_IP_STATUS_VERIFIED ? CF_EBPF_PASS : CF_EBPF_DROP;
}
