/*
 * rate_limit.c — per-source rate limiter with flowshield's token bucket (helper 67).
 * Program type: flowshield.
 *
 * Each source IP may send RATE_PER_SEC packets per second on average, with bursts of up to
 * BURST packets (a token bucket per source, on each edge). Verdicts:
 *   pass  while the source's bucket has a token
 *   drop  when it is empty; counted in counter COUNTER_RATE_LIMITED
 * Sources that are VERIFIED (e.g. by challenge.c running on the same tenant) get a larger
 * allowance through a second limiter.
 */
#include <flowshield.h>

#define LIMITER_DEFAULT 1
#define LIMITER_VERIFIED 2
#define RATE_PER_SEC 100
#define BURST 200
#define VERIFIED_RATE_PER_SEC 1000
#define VERIFIED_BURST 2000

#define COUNTER_RATE_LIMITED 10

SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    (void)ctx;
    u8 status = FS_STATUS_NONE;
    int verified = fs_get_src_ip_status(&status, NULL) == FS_OK && status == FS_STATUS_VERIFIED;

    long allowed = verified ? fs_rate_limit(LIMITER_VERIFIED, VERIFIED_RATE_PER_SEC, VERIFIED_BURST)
                            : fs_rate_limit(LIMITER_DEFAULT, RATE_PER_SEC, BURST);
    if (allowed == FS_RATE_ALLOWED)
        return FS_PASS;

    /* Limited (0) or a helper error (< 0): drop, and count it so the operator sees it. */
    fs_counter_add(COUNTER_RATE_LIMITED, 1);
    return FS_DROP;
}
