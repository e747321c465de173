/*
 * flowshield.h — the program author's reference for flowshield flow programs.
 *
 * Compile:  flowshield compile prog.c -o prog.o
 *      or:  clang -target bpf -O2 -g -c -I programs/include prog.c -o prog.o
 *
 * Freestanding: include nothing from the system (see fs_base.h). This header gives you
 *   - the context a program receives (struct fs_ctx, struct fs_packet),
 *   - fs_parse_udp(): the IPv4/IPv6 + UDP headers located and bounds-checked,
 *   - verdicts, source-IP statuses and helper return codes as constants,
 *   - every helper as a callable `fs_*` function pointer, with its number, arguments and results,
 *   - byte-order macros (ntohs, htonl, ...) and SEC().
 * PFP programs keep using cf_ebpf_defs.h / cf_ebpf_helper.h (same ABI, PFP's names); both sets
 * of headers may be included together. XDP and socket programs use linux_compat.h.
 *
 * ---- Program types (chosen by the ELF section of the entry function) ----------------------
 *   "cf_ebpf_generic" or no section   PFP ABI, helpers 1-20.
 *   "flowshield"                      the same context and verdicts, helpers 1-20 and 64-68.
 *   "xdp", "socket"                   Linux contexts and helpers, see linux_compat.h.
 * The entry function of a flow program (cf_ebpf_generic or flowshield) is named
 * `cf_ebpf_main`, as on PFP:
 *
 *     SEC("flowshield")
 *     u64 cf_ebpf_main(struct fs_ctx *ctx) { ... return FS_PASS; }
 *
 * Other functions may live in .text and be called normally (bpf-to-bpf calls).
 *
 * ---- Contract of a flow program ------------------------------------------------------------
 *   u64 prog(struct fs_ctx *ctx): one UDP packet (IPv4 or IPv6) per run, from its IP header
 *   on. Return FS_PASS (0) or FS_DROP (1); any other value, a fault, or running out of the
 *   per-run instruction budget ends the run with the tenant's configured fail verdict.
 *   To challenge a source: hand the edge a payload (fs_set_challenge, or fs_issue_challenge for
 *   the standard puzzle) and return FS_DROP. The edge sends the payload to the packet's source,
 *   never larger than the packet that triggered it, rate-limited per source, per source prefix
 *   and per protected network. Never block a source on an answer a spoofer could send (see
 *   FS_ANSWER_* below).
 *   Non-UDP packets never reach a program.
 *   Each function has a 2048-byte stack frame, up to 8 frames deep. An access the verifier
 *   cannot prove in bounds (or a helper length it cannot bound) is checked when it runs; a
 *   failed check ends the run with the fail verdict. Stack buffers need a proven length.
 *
 * ---- State -----------------------------------------------------------------------------------
 *   Each source IP has a status: FS_STATUS_NONE, _CHALLENGED, _VERIFIED or _BLOCKED.
 *   fs_set_src_ip_status(status, lifetime_secs) sets it for lifetime_secs from now (0 = never
 *   expires). A change to or from VERIFIED or BLOCKED is an event that reaches every edge
 *   worldwide; a change between NONE and CHALLENGED (a first contact) stays on this edge, since
 *   a challenge verifies on any edge (other edges read such a source as NONE).
 *   fs_get_src_ip_status(&status, &expiry) reads it; expiry is a UNIX time in seconds (0 =
 *   never), comparable with fs_timestamp(). An expired entry reads as FS_ERR_NO_ENTRY.
 *   Per-source and per-flow user data (one u64 each) stay on the edge: they change per packet.
 */
#ifndef FLOWSHIELD_H
#define FLOWSHIELD_H

#include "fs_base.h"

/* ---- verdicts ------------------------------------------------------------------------------ */
#define FS_PASS 0 /* deliver to the origin */
#define FS_DROP 1 /* discard (a challenge or reply set during the run is still sent) */

/* ---- source-IP statuses (same values as PFP's CF_EBPF_SRC_IP_STATUS_*) ------------------- */
#define FS_STATUS_NONE 0
#define FS_STATUS_CHALLENGED 1
#define FS_STATUS_VERIFIED 2
#define FS_STATUS_BLOCKED 3

/* ---- helper return codes ---------------------------------------------------------------------
 * State helpers (11-16):
 *   FS_ERR_NO_ENTRY          -1  nothing stored for this source / flow (or it expired)
 *   FS_ERR_NO_CONTEXT        -2  this packet has no source-IP / flow context
 *   FS_ERR_BUFFER_TOO_SMALL  -3  an output buffer is smaller than the value
 *   FS_ERR_INVALID           -4  outputs NULL (get_*), or payload invalid / too large
 *                                (set_challenge, fs_issue_challenge, fs_reply), or unknown id
 *   FS_ERR_DISABLED          -5  the table, challenges or replies are disabled for the tenant
 *   FS_ERR_RATE_LIMITED      -6  a challenge / reply was sent to this source (or its network)
 *                                too often, or the budget for the protected network is spent
 *                                (limits.challenges / limits.replies of the edge config)
 * Hash and HMAC helpers (4-9, 19, 20) return the number of bytes written, or:
 *   FS_ERR_BAD_SOURCE        -1  the source buffer is invalid
 *   FS_ERR_BAD_DEST          -2  the destination is NULL or smaller than the digest
 *   FS_ERR_NO_KEY            -3  (HMAC helpers 8, 9, 20) the edge does not hold the tenant's
 *                                key yet (it asks the challenge service and retries); the
 *                                helper never falls back to another key
 */
#define FS_OK 0
#define FS_ERR_NO_ENTRY (-1)
#define FS_ERR_NO_CONTEXT (-2)
#define FS_ERR_BUFFER_TOO_SMALL (-3)
#define FS_ERR_INVALID (-4)
#define FS_ERR_DISABLED (-5)
#define FS_ERR_RATE_LIMITED (-6)
#define FS_ERR_BAD_SOURCE (-1)
#define FS_ERR_BAD_DEST (-2)
#define FS_ERR_NO_KEY (-3)

/* fs_verify_challenge() results. The negative codes name the failed check, in the order the
 * puzzle engine checks (they follow libs/proto's VerifyReason list: code = -(1 + position)).
 *
 * A rejected answer is NOT proof that its source is hostile. The source address of a UDP packet
 * is whatever the sender wrote into it, and the challenge went to that address, not to the
 * sender. An off-path spoofer (one who cannot see traffic to the victim) can send, with a
 * victim's address and any port, an answer that is malformed, under an unknown or retired key,
 * expired or from the future, bound to another address or port (its own challenge, replayed
 * with the victim's address), with a bad tag, or a copy of an answer already used. Blocking on
 * any of those lets one packet block any client: drop the answer, count it, and leave the
 * source's status as it is (CHALLENGED stays CHALLENGED and the client can still answer).
 *
 * The tag is an HMAC, under a key the program and the spoofer never see, over the challenge
 * including the client address and port. So an answer whose tag checks and is bound to this
 * packet's own address and port was built from the challenge the edge sent to that address and
 * port: its sender received it (it is that host, or on the path to it, which can drop the
 * victim's traffic anyway). Of the reasons after the tag check:
 *   FS_ANSWER_BAD_SOLUTION            a wrong proof of work for a challenge the sender holds:
 *                                     no honest SDK sends it. The only code on which a program
 *                                     may block: FS_ANSWER_PROVES_RECEIPT(code).
 *   FS_ANSWER_DIFFICULTY_BELOW_FLOOR  the floor was raised after the challenge was issued: an
 *                                     honest client's bad luck, never a reason to block.
 *   FS_ANSWER_REPLAYED                a resent answer (an honest client retransmitting) or a
 *                                     copy by anyone who saw it: never a reason to block.
 *   FS_ANSWER_REPLAY_FILTER_FULL      the edge's own condition: never a reason to block.
 * Behind a shared address (carrier-grade NAT) a block hits every host on it: keep such blocks
 * short. The edge counts every rejected answer by reason whatever the program does
 * (fs_edge_answers_rejected_total{reason}; services/edge/README.md). */
#define FS_ANSWER_VALID 1                    /* a correct, fresh answer for this source */
#define FS_ANSWER_NONE 0                     /* the packet is not a challenge answer at all */
#define FS_ANSWER_MALFORMED (-1)             /* answer framing present but does not parse */
#define FS_ANSWER_UNKNOWN_KEY (-2)           /* key id not (or no longer) in the key ring */
#define FS_ANSWER_EXPIRED (-3)               /* older than the challenge validity window */
#define FS_ANSWER_FUTURE (-4)                /* issued later than now plus the clock skew */
#define FS_ANSWER_WRONG_ADDRESS (-5)         /* challenge was issued to another address */
#define FS_ANSWER_WRONG_PORT (-6)            /* challenge was issued to another port */
#define FS_ANSWER_BAD_TAG (-7)               /* authentication tag does not match */
#define FS_ANSWER_DIFFICULTY_BELOW_FLOOR (-8) /* less work than the current floor */
#define FS_ANSWER_BAD_SOLUTION (-9)          /* the proof of work is wrong (tag valid) */
#define FS_ANSWER_REPLAYED (-10)             /* this challenge was already answered */
#define FS_ANSWER_REPLAY_FILTER_FULL (-11)   /* cannot rule out a replay right now */

/* True only for rejections an off-path spoofer cannot produce and an honest client does not:
 * the one case in which a program may move an unverified source to BLOCKED. */
#define FS_ANSWER_PROVES_RECEIPT(code) ((code) == FS_ANSWER_BAD_SOLUTION)

/* fs_rate_limit() results. */
#define FS_RATE_ALLOWED 1
#define FS_RATE_LIMITED 0

/* ---- the context ---------------------------------------------------------------------------
 * r1 points at a struct fs_ctx. ctx->data points at a struct fs_packet; ctx->data_end points
 * one past its end (data + sizeof(struct fs_packet) = data + 1520). Same layout as PFP's
 * struct cf_ebpf_generic_ctx / struct cf_ebpf_packet_data. */
struct fs_ctx {
    u64 data;     /* address of a struct fs_packet */
    u64 data_end; /* address one past its end */
    u64 metadata; /* scratch value the program may write and read back; 0 at the start of every packet */
};

struct fs_packet {
    u64 total_packet_length; /* bytes of packet in packet_buffer, at most 1500 */
    u64 ip_header_length;    /* IPv4 header incl. options, or IPv6 header incl. the extension
                              * headers before UDP; UDP starts at packet_buffer[this] */
    u8 packet_buffer[1500];  /* the packet from its IP header; zero past the end */
};

_Static_assert(sizeof(struct fs_ctx) == 24, "fs_ctx is three u64");
_Static_assert(sizeof(struct fs_packet) == 1520, "fs_packet is 16 + 1500 bytes, 8-aligned");

/* ---- parsed view ---------------------------------------------------------------------------- */
struct fs_udp_view {
    struct iphdr *ip4;   /* set for IPv4, else NULL */
    struct ipv6hdr *ip6; /* set for IPv6, else NULL */
    struct udphdr *udp;  /* the 8 UDP header bytes, known to be present */
    u8 *payload;         /* first byte after the UDP header */
    u8 *data_end;        /* one past the last packet byte: bound every payload read by it */
    u32 payload_len;     /* bytes from payload to data_end */
    u16 src_port;        /* host order */
    u16 dst_port;        /* host order */
    u16 udp_len;         /* the UDP length field, host order (header + payload as declared) */
    u8 ip_version;       /* 4 or 6 */
};

/* fs_parse_udp() results. */
#define FS_PARSE_OK 0
#define FS_PARSE_BAD_CONTEXT (-1)  /* ctx too small or length fields out of range */
#define FS_PARSE_BAD_VERSION (-2)  /* neither IPv4 nor IPv6 */
#define FS_PARSE_TRUNCATED (-3)    /* IP or UDP header not fully present */
#define FS_PARSE_NOT_UDP (-4)      /* IPv4 protocol field is not UDP (cannot happen on the edge) */

/*
 * Locates and bounds-checks the IP and UDP headers. Returns FS_PARSE_OK and fills *out, or a
 * negative FS_PARSE_* code. Afterwards, before reading n bytes at pointer q in the payload,
 * check `q + n <= out->data_end` (fs_has(view, q, n) does exactly that).
 */
static __always_inline int fs_parse_udp(struct fs_ctx *ctx, struct fs_udp_view *out)
{
    struct fs_packet *pkt = (struct fs_packet *)(uintptr_t)ctx->data;
    if ((u8 *)(pkt + 1) > (u8 *)(uintptr_t)ctx->data_end)
        return FS_PARSE_BAD_CONTEXT;

    u64 captured = pkt->total_packet_length;
    u64 ip_len = pkt->ip_header_length;
    if (captured > sizeof(pkt->packet_buffer) || ip_len > captured)
        return FS_PARSE_BAD_CONTEXT;

    u8 *start = pkt->packet_buffer;
    u8 *end = start + captured;
    if (start + 1 > end)
        return FS_PARSE_TRUNCATED;

    out->ip4 = NULL;
    out->ip6 = NULL;
    u8 version = start[0] >> 4;
    if (version == 4) {
        struct iphdr *ip4 = (struct iphdr *)start;
        if (ip_len < sizeof(*ip4) || (u8 *)(ip4 + 1) > end)
            return FS_PARSE_TRUNCATED;
        if (ip4->protocol != IPPROTO_UDP)
            return FS_PARSE_NOT_UDP;
        out->ip4 = ip4;
    } else if (version == 6) {
        struct ipv6hdr *ip6 = (struct ipv6hdr *)start;
        if (ip_len < sizeof(*ip6) || (u8 *)(ip6 + 1) > end)
            return FS_PARSE_TRUNCATED;
        out->ip6 = ip6;
    } else {
        return FS_PARSE_BAD_VERSION;
    }

    struct udphdr *udp = (struct udphdr *)(start + ip_len);
    if ((u8 *)(udp + 1) > end)
        return FS_PARSE_TRUNCATED;

    out->udp = udp;
    out->payload = (u8 *)(udp + 1);
    out->data_end = end;
    out->payload_len = (u32)(end - out->payload);
    out->src_port = ntohs(udp->source);
    out->dst_port = ntohs(udp->dest);
    out->udp_len = ntohs(udp->len);
    out->ip_version = version;
    return FS_PARSE_OK;
}

/* True when n bytes starting at q lie inside the packet. */
#define fs_has(view, q, n) ((u8 *)(q) + (n) <= (view)->data_end)

/* ---- helper numbers ------------------------------------------------------------------------- */
enum fs_helper_id {
    FS_HELPER_RAND = 1,
    FS_HELPER_TIMESTAMP = 2,
    FS_HELPER_PRINTF = 3,
    FS_HELPER_HASH_MD5 = 4,
    FS_HELPER_HASH_SHA256 = 5,
    FS_HELPER_HASH_SHA512 = 6,
    FS_HELPER_HASH_CRC32 = 7,
    FS_HELPER_HMAC_SHA256 = 8,
    FS_HELPER_HMAC_SHA512 = 9,
    FS_HELPER_SET_CHALLENGE = 10,
    FS_HELPER_GET_SRC_IP_STATUS = 11,
    FS_HELPER_SET_SRC_IP_STATUS = 12,
    FS_HELPER_GET_SRC_IP_DATA = 13,
    FS_HELPER_SET_SRC_IP_DATA = 14,
    FS_HELPER_GET_FLOW_DATA = 15,
    FS_HELPER_SET_FLOW_DATA = 16,
    FS_HELPER_ENTROPY = 17,
    FS_HELPER_SET_NETWORK_ANALYTICS_TAG = 18,
    FS_HELPER_HASH_BLAKE2B512 = 19,
    FS_HELPER_HMAC_BLAKE2B512 = 20,
    /* flowshield's own, only for programs in section "flowshield": */
    FS_HELPER_ISSUE_CHALLENGE = 64,
    FS_HELPER_VERIFY_CHALLENGE = 65,
    FS_HELPER_COUNTER_ADD = 66,
    FS_HELPER_RATE_LIMIT = 67,
    FS_HELPER_REPLY = 68,
};

/* ---- helpers 1-20 (every flow program) -------------------------------------------------------
 * A helper is a static function pointer whose value is its number; a call compiles to the BPF
 * instruction `call N`. Arguments travel in r1-r5, the result comes back in r0. */

/* 1: a uniformly random u64. */
static u64 (*fs_rand)(void) = (void *)FS_HELPER_RAND;

/* 2: the current UNIX time in seconds. */
static s64 (*fs_timestamp)(void) = (void *)FS_HELPER_TIMESTAMP;

/* 3: debug print of a format (a `static const char[]`) with exactly three integer arguments;
 *    printed only by `flowshield test` and in debug mode, a no-op on a live edge. Returns 0.
 *    fs_printf(fmt), fs_printf(fmt, a), ... up to three arguments. */
static long (*fs_printf_raw)(const char *fmt, u64 a, u64 b, u64 c) = (void *)FS_HELPER_PRINTF;
#define __FS_PRINTF_0(f) fs_printf_raw((f), 0, 0, 0)
#define __FS_PRINTF_1(f, a) fs_printf_raw((f), (u64)(a), 0, 0)
#define __FS_PRINTF_2(f, a, b) fs_printf_raw((f), (u64)(a), (u64)(b), 0)
#define __FS_PRINTF_3(f, a, b, c) fs_printf_raw((f), (u64)(a), (u64)(b), (u64)(c))
#define __FS_PRINTF_PICK(_1, _2, _3, _4, which, ...) which
#define fs_printf(...)                                                                        \
    __FS_PRINTF_PICK(__VA_ARGS__, __FS_PRINTF_3, __FS_PRINTF_2, __FS_PRINTF_1,                \
                     __FS_PRINTF_0)(__VA_ARGS__)

/* 4, 5, 6, 19: digests of src[0..len) into dst (dst_len >= 16 / 32 / 64 / 64).
 *    Return bytes written, FS_ERR_BAD_SOURCE or FS_ERR_BAD_DEST. */
static long (*fs_hash_md5)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HASH_MD5;
static long (*fs_hash_sha256)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HASH_SHA256;
static long (*fs_hash_sha512)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HASH_SHA512;
static long (*fs_hash_blake2b512)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HASH_BLAKE2B512;

/* 7: CRC-32/ISO-HDLC of src, written little-endian into an 8-byte buffer (returns 8).
 *    fs_hash_crc32(src, len, &value) returns it as an integer. */
static long (*fs_hash_crc32_raw)(const void *src, u64 len, void *dst8, u64 dst_len) =
    (void *)FS_HELPER_HASH_CRC32;
static __always_inline long fs_hash_crc32(const void *src, u64 len, u64 *value)
{
    u8 le[8] = {0};
    long rc = fs_hash_crc32_raw(src, len, le, sizeof(le));
    if (rc < 0)
        return rc;
    u64 v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | le[i];
    *value = v;
    return rc;
}

/* 8, 9, 20: HMAC of src under the tenant's key, which the host holds and the program never
 *    sees (dst_len >= 32 / 64 / 64). The key is the same on every edge and across restarts
 *    (derived by the challenge service per tenant), so a MAC made on one edge checks on any.
 *    Return bytes written, FS_ERR_BAD_SOURCE, FS_ERR_BAD_DEST or FS_ERR_NO_KEY (key not yet
 *    received: treat the packet as you would one you cannot authenticate). */
static long (*fs_hmac_sha256)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HMAC_SHA256;
static long (*fs_hmac_sha512)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HMAC_SHA512;
static long (*fs_hmac_blake2b512)(const void *src, u64 len, void *dst, u64 dst_len) =
    (void *)FS_HELPER_HMAC_BLAKE2B512;

/* 10: sets the challenge payload sent to this packet's source (return FS_DROP to withhold the
 *     packet). len 0 clears it. Returns FS_OK, FS_ERR_INVALID (too big: never larger than the
 *     triggering packet), FS_ERR_DISABLED or FS_ERR_RATE_LIMITED (limits.challenges). */
static long (*fs_set_challenge)(const void *buf, u64 len) = (void *)FS_HELPER_SET_CHALLENGE;

/* 11: reads this source's status and expiry (UNIX seconds, 0 = never). Either output may be
 *     NULL, not both. Returns FS_OK, FS_ERR_NO_ENTRY, FS_ERR_NO_CONTEXT,
 *     FS_ERR_BUFFER_TOO_SMALL, FS_ERR_INVALID or FS_ERR_DISABLED.
 *     Use fs_get_src_ip_status(&status, &expiry). */
static long (*fs_get_src_ip_status_raw)(u8 *status, u64 status_len, u64 *expiry,
                                        u64 expiry_len) = (void *)FS_HELPER_GET_SRC_IP_STATUS;
#define fs_get_src_ip_status(status, expiry)                                                  \
    fs_get_src_ip_status_raw((status), sizeof(u8), (expiry), sizeof(u64))

/* 12: sets this source's status for lifetime_secs from now (0 = never expires); reaches every
 *     edge unless it only moves between NONE and CHALLENGED (then it stays on this edge).
 *     Returns FS_OK, FS_ERR_NO_CONTEXT or FS_ERR_DISABLED. */
static long (*fs_set_src_ip_status)(u8 status, u64 lifetime_secs) =
    (void *)FS_HELPER_SET_SRC_IP_STATUS;

/* 13, 14: one u64 of user data per source IP, local to this edge (an LRU table).
 *     Use fs_get_src_ip_data(&value). */
static long (*fs_get_src_ip_data_raw)(u64 *value, u64 value_len) =
    (void *)FS_HELPER_GET_SRC_IP_DATA;
#define fs_get_src_ip_data(value) fs_get_src_ip_data_raw((value), sizeof(u64))
static long (*fs_set_src_ip_data)(u64 value) = (void *)FS_HELPER_SET_SRC_IP_DATA;

/* 15, 16: one u64 of user data per flow (source IP, source port, destination IP, destination
 *     port), local to this edge. Use fs_get_flow_data(&value). */
static long (*fs_get_flow_data_raw)(u64 *value, u64 value_len) = (void *)FS_HELPER_GET_FLOW_DATA;
#define fs_get_flow_data(value) fs_get_flow_data_raw((value), sizeof(u64))
static long (*fs_set_flow_data)(u64 value) = (void *)FS_HELPER_SET_FLOW_DATA;

/* 17: Shannon entropy of src in millibits per byte: 0 (one repeated byte) to 8000 (all 256
 *     values equally often). Returns FS_ERR_BAD_SOURCE for an invalid buffer. */
static long (*fs_entropy)(const void *src, u64 len) = (void *)FS_HELPER_ENTROPY;

/* 18: tags this packet in analytics and in `flowshield test` output ("tag"); the last call of a
 *     run wins. Returns FS_OK. */
static long (*fs_set_network_analytics_tag)(u64 tag) = (void *)FS_HELPER_SET_NETWORK_ANALYTICS_TAG;

/* ---- helpers 64-68 (section "flowshield" only) ---------------------------------------------- */

/* 64: issues flowshield's standard puzzle challenge to this packet's source: the edge builds
 *     it (bound to the source address, HMAC'd under the current key, difficulty set by the
 *     challenge service) and sends it. Return FS_DROP afterwards. Returns FS_OK, FS_ERR_INVALID
 *     (the challenge would be larger than this packet), FS_ERR_DISABLED or FS_ERR_RATE_LIMITED. */
static long (*fs_issue_challenge)(void) = (void *)FS_HELPER_ISSUE_CHALLENGE;

/* 65: checks whether this packet carries an answer to the standard challenge (as sent by the
 *     client SDK). Returns FS_ANSWER_VALID (1), FS_ANSWER_NONE (0: not an answer, treat it as
 *     ordinary traffic), or a negative FS_ANSWER_* reason for an invalid answer. A valid answer
 *     is accepted once: the same answer again reads FS_ANSWER_REPLAYED. A negative result is
 *     not a reason to block the source, except FS_ANSWER_PROVES_RECEIPT(result): see the
 *     FS_ANSWER_* codes above. The edge counts every negative result by reason. */
static long (*fs_verify_challenge)(void) = (void *)FS_HELPER_VERIFY_CHALLENGE;

/* 66: adds delta to the tenant's counter counter_id, exported by the edge as a Prometheus
 *     counter labelled with the tenant and the counter id, and summed by `flowshield test`.
 *     Returns FS_OK or FS_ERR_INVALID. */
static long (*fs_counter_add)(u32 counter_id, u64 delta) = (void *)FS_HELPER_COUNTER_ADD;

/* 67: token bucket keyed by (limiter_id, source IP): refills rate_per_sec tokens per second up
 *     to burst; each call takes one token. Returns FS_RATE_ALLOWED (1) when a token was
 *     available, FS_RATE_LIMITED (0) otherwise, FS_ERR_INVALID for rate 0 or burst 0. The
 *     buckets live on this edge (LRU-bounded). */
static long (*fs_rate_limit)(u32 limiter_id, u32 rate_per_sec, u32 burst) =
    (void *)FS_HELPER_RATE_LIMIT;

/* 68: sends buf[0..len) back to this packet's source as a UDP reply from the destination
 *     address and port; never larger than the triggering packet; rate-limited like challenges
 *     (per source, per source prefix and per protected network: limits.replies of the edge
 *     config), because the source may be a spoofed victim. A refused reply is not sent and is
 *     counted (fs_edge_replies_refused_total). Returns FS_OK, FS_ERR_INVALID (too big),
 *     FS_ERR_DISABLED or FS_ERR_RATE_LIMITED. */
static long (*fs_reply)(const void *buf, u64 len) = (void *)FS_HELPER_REPLY;

#endif /* FLOWSHIELD_H */
