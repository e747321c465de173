/*
 * wireguard.c — the shape of WireGuard's four messages, and a per-source budget for handshake
 * initiations, in front of a WireGuard server (UDP 51820). Program type: flowshield.
 *
 * Every message starts with a type byte and three reserved bytes that are zero:
 *   1 handshake initiation  exactly 148 bytes (sender index, ephemeral key, encrypted static
 *                           key and timestamp, mac1, mac2)
 *                           -> pass within INIT_RATE/s per source (burst INIT_BURST), else drop
 *   2 handshake response    exactly 92 bytes                                        -> pass
 *   3 cookie reply          exactly 64 bytes                                        -> pass
 *   4 transport data        16-byte header + ciphertext of a multiple of 16 bytes + 16-byte
 *                           tag: at least 32 bytes, length a multiple of 16         -> pass
 *   any other type, a non-zero reserved byte, any other length                      -> drop
 *
 * An initiation is what costs a WireGuard server work (a Curve25519 operation before it can
 * tell the sender is a peer), so it is the message a flood uses. A client sends one every
 * REKEY_TIMEOUT (5 s) while it has no session, and at most one per REKEY_AFTER_TIME (2 min) with
 * one; INIT_RATE/INIT_BURST leave room for several peers behind one NAT address.
 *
 * What this program cannot do, and why it does not challenge: under load a WireGuard responder
 * answers an initiation with a cookie reply (type 3) whose cookie is a MAC of the sender's
 * address under a secret the server changes every two minutes, encrypted with XChaCha20-Poly1305
 * under a key derived from the server's public key; the initiator then repeats the initiation
 * with mac2 = MAC(cookie, message). Only the server, which holds that secret, can check mac2, and
 * stock WireGuard clients answer no other challenge, so an edge challenge would lock them out. The
 * edge's part is to keep malformed messages and per-source floods from the server; the server's
 * own cookie mechanism remains the answer to spoofed floods from many addresses. (Checking mac1,
 * which needs only the server's public key, would also drop initiations not meant for this
 * server, but it is a keyed BLAKE2s, which no helper computes.)
 */
#include <flowshield.h>

#define MESSAGE_INITIATION 1
#define MESSAGE_RESPONSE 2
#define MESSAGE_COOKIE_REPLY 3
#define MESSAGE_TRANSPORT 4

#define INITIATION_LEN 148
#define RESPONSE_LEN 92
#define COOKIE_REPLY_LEN 64
#define TRANSPORT_MIN_LEN 32
#define TRANSPORT_HEADER_LEN 16

#define LIMITER_INITIATIONS 1
#define INIT_RATE 2
#define INIT_BURST 10

#define COUNTER_MALFORMED 1
#define COUNTER_INITIATIONS_LIMITED 2

static __always_inline u64 malformed(void)
{
    fs_counter_add(COUNTER_MALFORMED, 1);
    return FS_DROP;
}

SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    struct fs_udp_view v;
    if (fs_parse_udp(ctx, &v) != FS_PARSE_OK)
        return FS_DROP;
    u8 *p = v.payload;
    if (!fs_has(&v, p, 4) || p[1] != 0 || p[2] != 0 || p[3] != 0)
        return malformed();
    u32 len = v.payload_len;

    switch (p[0]) {
    case MESSAGE_INITIATION:
        if (len != INITIATION_LEN)
            return malformed();
        if (fs_rate_limit(LIMITER_INITIATIONS, INIT_RATE, INIT_BURST) == FS_RATE_ALLOWED)
            return FS_PASS;
        fs_counter_add(COUNTER_INITIATIONS_LIMITED, 1);
        return FS_DROP;
    case MESSAGE_RESPONSE:
        return len == RESPONSE_LEN ? FS_PASS : malformed();
    case MESSAGE_COOKIE_REPLY:
        return len == COOKIE_REPLY_LEN ? FS_PASS : malformed();
    case MESSAGE_TRANSPORT:
        return len >= TRANSPORT_MIN_LEN && (len - TRANSPORT_HEADER_LEN) % 16 == 0 ? FS_PASS : malformed();
    default:
        return malformed();
    }
}
