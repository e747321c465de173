/*
 * magic_token.c — the magic-token filter for a game on UDP port 207.
 *
 * Program type: cf_ebpf_generic (PFP ABI), so it runs on flowshield and, unchanged in spirit,
 * on PFP. Verdicts:
 *   pass  UDP to port 207 whose payload is exactly one application header plus its token:
 *           struct { u8 version; u16 length (network order); u8 token[length]; }
 *         with length >= 1, the UDP length field equal to 8 + 3 + length, all of it present in
 *         the packet, and the last token byte equal to 0xCF. The version is not checked.
 *   drop  everything else: other ports, short or truncated packets, a length that disagrees
 *         with the UDP length, an empty token, a wrong last byte, IP versions other than 4/6.
 */
#include <flowshield.h>

#define GAME_PORT 207
#define TOKEN_TRAILER 0xCF

struct app_header {
    u8 version;
    u16 length; /* token bytes, network order */
    u8 token[];
} __packed;

SEC("cf_ebpf_generic")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view pkt;
    if (fs_parse_udp(ctx, &pkt) != FS_PARSE_OK)
        return FS_DROP;
    if (pkt.dst_port != GAME_PORT)
        return FS_DROP;

    struct app_header *app = (struct app_header *)pkt.payload;
    if (!fs_has(&pkt, app, sizeof(*app)))
        return FS_DROP;

    u32 token_len = ntohs(app->length);
    /* The UDP length field must describe exactly this header and token... */
    if (token_len == 0 || pkt.udp_len != sizeof(struct udphdr) + sizeof(*app) + token_len)
        return FS_DROP;
    /* ...and every declared byte must have arrived. */
    if (!fs_has(&pkt, app->token, token_len))
        return FS_DROP;

    if (app->token[token_len - 1] != TOKEN_TRAILER)
        return FS_DROP;
    return FS_PASS;
}
