/*
 * a2s_query.c — Source engine server queries (A2S) on a game's query port, with the edge
 * answering the challenge itself. Program type: flowshield.
 *
 * A2S_INFO is a 25-byte request whose answer (server name, map, players, tags) is several hundred
 * bytes: sent with a victim's address, every query is reflected at the victim, amplified. Since
 * 2020 Source servers answer an A2S_INFO first with S2C_CHALLENGE (9 bytes: FF FF FF FF 'A' +
 * a 4-byte number) and answer only a query that repeats the number; older servers and many
 * third-party ones (and A2S_PLAYER/A2S_RULES everywhere) still answer anyone. This program runs
 * the same challenge on the edge, so no query from an address that does not receive packets
 * reaches the game server:
 *
 *   request (after FF FF FF FF)        accepted shape
 *   'T' A2S_INFO                       exactly "Source Engine Query\0" (25 bytes), or that and
 *                                      a 4-byte challenge number (29 bytes)
 *   'U' A2S_PLAYER, 'V' A2S_RULES      a 4-byte challenge number (9 bytes); FF FF FF FF asks
 *                                      for one
 *
 *   VERIFIED source, accepted shape    -> pass, within QUERY_RATE/s (burst QUERY_BURST), else drop
 *   BLOCKED source                     -> drop (set by an operator; this program never blocks)
 *   accepted shape carrying this source's current challenge number
 *                                      -> VERIFIED for VERIFIED_LIFETIME s, pass
 *   accepted shape, no or another number
 *                                      -> challenge: S2C_CHALLENGE with this source's number
 *                                         (9 bytes, never more than the request), drop
 *   a response ('A', 'I', 'D', 'E', 'm'): someone reflecting a server at us -> drop
 *   split packets (FE FF FF FF), other types, wrong lengths, padded or oversized queries,
 *   anything not starting with FF FF FF FF  -> drop
 *
 * The challenge number is the first 4 bytes of HMAC-SHA256(source address (16 bytes, IPv4
 * mapped) || source port || time window) under the tenant's key (helper 8), which the edge
 * holds and a spoofer never sees: the edge keeps no state for a source until it answers, and
 * any edge accepts the number another edge sent (same key). A window is CHALLENGE_WINDOW_SECS;
 * the current and the previous window's numbers are accepted. A wrong number is what an off-path
 * spoofer sends, so it only earns a new challenge, never a block.
 *
 * A verified source's queries reach the game server as they are: a server that runs its own
 * challenge answers the edge's number with its own, the client repeats the query with it, and
 * that passes too (the source is VERIFIED). This program is for a port that carries only
 * queries; where queries share the game port, keep its checks for packets starting with
 * FF FF FF FF and handle the game's traffic as that game needs (challenge.c, rate_limit.c).
 */
#include <flowshield.h>

#define QUERY_HEADER_LEN 5 /* FF FF FF FF and the type byte */
#define INFO_LEN 25
#define INFO_WITH_CHALLENGE_LEN 29
#define PLAYER_RULES_LEN 9
#define CHALLENGE_LEN 4

#define A2S_INFO 'T'
#define A2S_PLAYER 'U'
#define A2S_RULES 'V'
#define S2C_CHALLENGE 'A'
#define S2A_INFO 'I'
#define S2A_PLAYER 'D'
#define S2A_RULES 'E'
#define S2A_INFO_GOLDSOURCE 'm'

#define CHALLENGE_WINDOW_SECS 30
#define VERIFIED_LIFETIME 600
#define LIMITER_QUERIES 1
#define QUERY_RATE 5
#define QUERY_BURST 20

#define COUNTER_CHALLENGED 1
#define COUNTER_CHALLENGE_REFUSED 2
#define COUNTER_VERIFIED 3
#define COUNTER_MALFORMED 4
#define COUNTER_REFLECTED 5
#define COUNTER_RATE_LIMITED 6
#define COUNTER_NO_KEY 7

static const char info_query[INFO_LEN - QUERY_HEADER_LEN] = "Source Engine Query";

/* This source's challenge number for a time window into out[0..4); 0, or the HMAC helper's
 * error (FS_ERR_NO_KEY while the edge has no key for the tenant yet). The address is read at its
 * fixed offset in the IP header, which fs_parse_udp checked is there. */
static __always_inline long challenge_number(struct fs_ctx *ctx, struct fs_udp_view *v, u64 window, u8 *out)
{
    struct fs_packet *pkt = (struct fs_packet *)(uintptr_t)ctx->data;
    if ((u8 *)(pkt + 1) > (u8 *)(uintptr_t)ctx->data_end)
        return FS_ERR_BAD_SOURCE;
    u8 in[26] = {0};
    if (v->ip_version == 4) {
        in[10] = 0xff;
        in[11] = 0xff;
        __builtin_memcpy(&in[12], &pkt->packet_buffer[12], 4); /* IPv4 saddr */
    } else {
        __builtin_memcpy(in, &pkt->packet_buffer[8], 16); /* IPv6 saddr */
    }
    in[16] = (u8)(v->src_port >> 8);
    in[17] = (u8)v->src_port;
    for (int i = 0; i < 8; i++)
        in[18 + i] = (u8)(window >> (56 - 8 * i)); /* big-endian */
    u8 mac[32];
    long rc = fs_hmac_sha256(in, sizeof(in), mac, sizeof(mac));
    if (rc != sizeof(mac))
        return rc < 0 ? rc : FS_ERR_BAD_DEST;
    __builtin_memcpy(out, mac, CHALLENGE_LEN);
    return 0;
}

static __always_inline int same4(const u8 *a, const u8 *b)
{
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
}

static __always_inline u64 malformed(void)
{
    fs_counter_add(COUNTER_MALFORMED, 1);
    return FS_DROP;
}

static __always_inline u64 within_rate(void)
{
    if (fs_rate_limit(LIMITER_QUERIES, QUERY_RATE, QUERY_BURST) == FS_RATE_ALLOWED)
        return FS_PASS;
    fs_counter_add(COUNTER_RATE_LIMITED, 1);
    return FS_DROP;
}

SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view v;
    if (fs_parse_udp(ctx, &v) != FS_PARSE_OK)
        return FS_DROP;
    u8 *p = v.payload;
    if (v.payload_len < QUERY_HEADER_LEN || v.payload_len > INFO_WITH_CHALLENGE_LEN ||
        !fs_has(&v, p, QUERY_HEADER_LEN))
        return malformed();
    if (p[0] != 0xff || p[1] != 0xff || p[2] != 0xff || p[3] != 0xff)
        return malformed(); /* split packets (FE FF FF FF) and non-query traffic */

    /* Offset of the request's challenge number, 0 for none. (An offset, not a pointer that may be
     * NULL: the verifier does not follow a pointer-or-NULL through a later NULL check.) */
    u32 number_at = 0;
    switch (p[4]) {
    case A2S_INFO:
        if (v.payload_len != INFO_LEN && v.payload_len != INFO_WITH_CHALLENGE_LEN)
            return malformed();
        if (!fs_has(&v, p, INFO_LEN))
            return malformed();
        for (int i = 0; i < INFO_LEN - QUERY_HEADER_LEN; i++)
            if (p[QUERY_HEADER_LEN + i] != (u8)info_query[i])
                return malformed();
        if (v.payload_len == INFO_WITH_CHALLENGE_LEN)
            number_at = INFO_LEN;
        break;
    case A2S_PLAYER:
    case A2S_RULES:
        if (v.payload_len != PLAYER_RULES_LEN)
            return malformed();
        number_at = QUERY_HEADER_LEN;
        break;
    case S2C_CHALLENGE:
    case S2A_INFO:
    case S2A_PLAYER:
    case S2A_RULES:
    case S2A_INFO_GOLDSOURCE:
        fs_counter_add(COUNTER_REFLECTED, 1);
        return FS_DROP;
    default:
        return malformed();
    }

    u8 status = FS_STATUS_NONE;
    if (fs_get_src_ip_status(&status, NULL) != FS_OK)
        status = FS_STATUS_NONE;
    if (status == FS_STATUS_VERIFIED)
        return within_rate();
    if (status == FS_STATUS_BLOCKED)
        return FS_DROP;

    u64 window = (u64)fs_timestamp() / CHALLENGE_WINDOW_SECS;
    u8 reply[QUERY_HEADER_LEN + CHALLENGE_LEN] = {0xff, 0xff, 0xff, 0xff, S2C_CHALLENGE};
    if (challenge_number(ctx, &v, window, &reply[QUERY_HEADER_LEN]) != 0) {
        fs_counter_add(COUNTER_NO_KEY, 1);
        return FS_DROP;
    }
    u8 *number = p + number_at;
    if (number_at != 0 && fs_has(&v, number, CHALLENGE_LEN)) {
        u8 previous[CHALLENGE_LEN];
        if (same4(number, &reply[QUERY_HEADER_LEN]) ||
            (challenge_number(ctx, &v, window - 1, previous) == 0 && same4(number, previous))) {
            fs_set_src_ip_status(FS_STATUS_VERIFIED, VERIFIED_LIFETIME);
            fs_counter_add(COUNTER_VERIFIED, 1);
            return within_rate();
        }
    }
    if (fs_set_challenge(reply, sizeof(reply)) == FS_OK)
        fs_counter_add(COUNTER_CHALLENGED, 1);
    else
        fs_counter_add(COUNTER_CHALLENGE_REFUSED, 1);
    return FS_DROP;
}
