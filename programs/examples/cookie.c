/*
 * cookie.c — a stateless cookie handshake with the tenant's HMAC key (helper 8) and custom
 * replies (helper 68). Program type: flowshield.
 *
 * The cookie of a source is HMAC-SHA256(source address (16 bytes, IPv4 mapped) || source port ||
 * destination port (big-endian) || time slot (8 bytes, big-endian: UNIX time / 60 s)) under the
 * tenant's key, which the edge holds and the program never sees. The key is the same on every
 * edge and across restarts (the challenge service derives it per tenant), so a cookie handed out
 * by one edge is accepted by any other, and no state is kept until the source proves it receives
 * packets at its address. The slot makes a cookie expire: one seen once (by the previous holder
 * of a reassigned address, say) does not verify that address for ever. A cookie of the current
 * or the previous slot is accepted, so one handed out just before a slot ends still works:
 *   VERIFIED                         -> pass
 *   BLOCKED                          -> drop (set by an operator; this program never blocks)
 *   payload "CK!" + the 32-byte cookie of this source, ports and slot (or the previous slot)
 *                                    -> status VERIFIED, drop (the answer is consumed)
 *   payload "CK!" + anything else    -> drop, counted, status unchanged: a wrong cookie is what an
 *                                       off-path spoofer sends with a victim's address
 *   any other packet of at least 35 bytes
 *                                    -> reply "CK?" + cookie (35 bytes, never larger than the
 *                                       trigger; the edge rate-limits replies), drop
 *   shorter packets                  -> drop (a reply would amplify)
 * While the edge has no key for the tenant yet, fs_hmac_sha256 returns FS_ERR_NO_KEY: nothing
 * is replied and nothing verifies (counted).
 */
#include <flowshield.h>

#define VERIFIED_LIFETIME 3600
#define COOKIE_LEN 32
#define MSG_LEN (3 + COOKIE_LEN)

#define COUNTER_REPLIED 1
#define COUNTER_REPLY_REFUSED 2
#define COUNTER_NO_KEY 3
#define COUNTER_BAD_COOKIE 4
#define COUNTER_VERIFIED 5

#define COOKIE_SLOT_SECONDS 60

/* The source's cookie of time slot `slot` into out[0..32); returns the helper's result (32, or an
 * error). The address is read at its fixed offset in the IP header (fs_parse_udp checked the
 * header is there), not through the view's ip4/ip6 pointers, which are NULL on one of the two paths. */
static __always_inline long cookie_of(struct fs_ctx *ctx, struct fs_udp_view *v, u64 slot, u8 *out)
{
    struct fs_packet *pkt = (struct fs_packet *)(uintptr_t)ctx->data;
    if ((u8 *)(pkt + 1) > (u8 *)(uintptr_t)ctx->data_end)
        return FS_ERR_BAD_SOURCE;
    u8 in[28] = {0};
    if (v->ip_version == 4) {
        in[10] = 0xff;
        in[11] = 0xff;
        __builtin_memcpy(&in[12], &pkt->packet_buffer[12], 4); /* IPv4 saddr */
    } else {
        __builtin_memcpy(in, &pkt->packet_buffer[8], 16); /* IPv6 saddr */
    }
    in[16] = (u8)(v->src_port >> 8);
    in[17] = (u8)v->src_port;
    in[18] = (u8)(v->dst_port >> 8);
    in[19] = (u8)v->dst_port;
    for (int i = 0; i < 8; i++)
        in[20 + i] = (u8)(slot >> (56 - 8 * i));
    return fs_hmac_sha256(in, sizeof(in), out, COOKIE_LEN);
}

/* Whether the COOKIE_LEN bytes at `got` equal `want` (every byte compared, whatever differs first). */
static __always_inline int same_cookie(const u8 *got, const u8 *want)
{
    u8 diff = 0;
    for (int i = 0; i < COOKIE_LEN; i++)
        diff |= got[i] ^ want[i];
    return diff == 0;
}

SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view v;
    if (fs_parse_udp(ctx, &v) != FS_PARSE_OK)
        return FS_DROP;

    u8 status = FS_STATUS_NONE;
    if (fs_get_src_ip_status(&status, NULL) != FS_OK)
        status = FS_STATUS_NONE;
    if (status == FS_STATUS_VERIFIED)
        return FS_PASS;
    if (status == FS_STATUS_BLOCKED || v.payload_len < MSG_LEN || !fs_has(&v, v.payload, MSG_LEN))
        return FS_DROP;

    u8 msg[MSG_LEN];
    u64 slot = (u64)fs_timestamp() / COOKIE_SLOT_SECONDS;
    if (cookie_of(ctx, &v, slot, &msg[3]) != COOKIE_LEN) {
        fs_counter_add(COUNTER_NO_KEY, 1);
        return FS_DROP;
    }

    u8 *p = v.payload;
    if (p[0] == 'C' && p[1] == 'K' && p[2] == '!') {
        u8 previous[COOKIE_LEN];
        if (!same_cookie(&p[3], &msg[3]) &&
            (cookie_of(ctx, &v, slot - 1, previous) != COOKIE_LEN || !same_cookie(&p[3], previous))) {
            fs_counter_add(COUNTER_BAD_COOKIE, 1);
            return FS_DROP;
        }
        fs_set_src_ip_status(FS_STATUS_VERIFIED, VERIFIED_LIFETIME);
        fs_counter_add(COUNTER_VERIFIED, 1);
        return FS_DROP;
    }

    msg[0] = 'C';
    msg[1] = 'K';
    msg[2] = '?';
    if (fs_reply(msg, MSG_LEN) == FS_OK)
        fs_counter_add(COUNTER_REPLIED, 1);
    else
        fs_counter_add(COUNTER_REPLY_REFUSED, 1);
    return FS_DROP;
}
