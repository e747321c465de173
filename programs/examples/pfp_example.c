/*
 * pfp_example.c — a program written exactly as a Programmable Flow Protection author writes
 * it: PFP's include order, PFP's names (cf_ebpf_generic_ctx, parse_packet_data,
 * get_src_ip_status(), set_challenge(), CF_EBPF_SRC_IP_STATUS_*), helpers called through the
 * integer function pointers of cf_ebpf_helper.h, and a `static const char` string in .rodata.
 * It uses only names and signatures that PFP's published headers declare, so the same source
 * builds for PFP and, unchanged, for flowshield.
 *
 * Challenge by status, with a cookie the client must echo:
 *   VERIFIED source                 -> pass
 *   BLOCKLISTED source              -> drop (set by the operator or another program: this one
 *                                      never blocklists on a packet a spoofer could send)
 *   CHALLENGED source whose payload starts with the 8-byte cookie stored for it, followed by
 *   the 4 bytes "PFP!"              -> VERIFIED for one hour, pass
 *   CHALLENGED source, any other payload -> drop, status unchanged, its cookie sent again: a
 *                                      wrong cookie is what an off-path spoofer sends with a
 *                                      victim's address (it never sees the cookie), so it must
 *                                      not block the victim, and a first challenge a spoofer
 *                                      triggered went to the spoofer's port, not the client's
 *   unknown source (or its cookie lost from the table)
 *                                   -> new random cookie stored with set_src_ip_data, challenge
 *                                      payload "PFP?" + cookie (12 bytes), CHALLENGED for 60 s,
 *                                      drop
 *   not a parsable UDP packet       -> drop
 */
#define CF_EBPF_HELPER_V0

#include <cf_ebpf_defs.h>
#include <cf_ebpf_helper.h>

#define COOKIE_LIFETIME_SECS 60
#define VERIFIED_SECS 3600

static const char answer_magic[4] = {'P', 'F', 'P', '!'};
static const char challenge_magic[4] = {'P', 'F', 'P', '?'};
static const char debug_fmt[] = "pfp_example: status=%d ret=%d\n";

struct answer {
    uint64_t cookie;
    char magic[4];
} __attribute__((packed));

struct challenge_payload {
    char magic[4];
    uint64_t cookie;
} __attribute__((packed));

uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    struct cf_ebpf_packet_data *p;

    if (parse_packet_data(ctx, &p, &headers) != 0) {
        return CF_EBPF_DROP;
    }

    uint8_t status = CF_EBPF_SRC_IP_STATUS_NONE;
    uint64_t expiry = 0;
    int ret = get_src_ip_status(&status, &expiry);
    cf_ebpf_printf(debug_fmt, status, ret);

    int64_t now = timestamp();
    if (ret == 0 && expiry != 0 && (uint64_t)now > expiry) {
        ret = -1; /* stale: behave as for a new source */
    }

    if (ret == 0 && status == CF_EBPF_SRC_IP_STATUS_VERIFIED) {
        return CF_EBPF_PASS;
    }
    if (ret == 0 && status == CF_EBPF_SRC_IP_STATUS_BLOCKLISTED) {
        return CF_EBPF_DROP;
    }

    uint64_t cookie = 0;
    if (ret == 0 && status == CF_EBPF_SRC_IP_STATUS_CHALLENGED && get_src_ip_data(&cookie) == 0) {
        struct answer *a = (struct answer *)(headers.udp + 1);
        if ((uint8_t *)(a + 1) <= headers.data_end && a->cookie == cookie &&
            memcmp(a->magic, answer_magic, sizeof(answer_magic)) == 0) {
            set_src_ip_status(CF_EBPF_SRC_IP_STATUS_VERIFIED, VERIFIED_SECS);
            return CF_EBPF_PASS;
        }
        /* Not the cookie: never a reason to blocklist, and the cookie is sent again (the edge
         * rate-limits challenges). The first may have gone to a spoofer's port on this address:
         * an off-path spoofer never sees it, and the real client gets its own copy. */
        struct challenge_payload again;
        __builtin_memcpy(again.magic, challenge_magic, sizeof(again.magic));
        again.cookie = cookie;
        set_challenge((uint8_t *)&again, sizeof(again));
        return CF_EBPF_DROP;
    }

    /* A new source, or one whose cookie a flood of others pushed out of the table: a new cookie. */
    cookie = rand();
    set_src_ip_data(cookie);

    struct challenge_payload c;
    __builtin_memcpy(c.magic, challenge_magic, sizeof(c.magic));
    c.cookie = cookie;
    set_challenge((uint8_t *)&c, sizeof(c));
    set_src_ip_status(CF_EBPF_SRC_IP_STATUS_CHALLENGED, COOKIE_LIFETIME_SECS);
    return CF_EBPF_DROP;
}
