/*
 * raknet_ping.c — RakNet offline messages, as Minecraft Bedrock servers receive them on UDP
 * 19132 (19133 for IPv6). Written as a Programmable Flow Protection program: PFP's headers,
 * names and helpers only (no section, entry cf_ebpf_main), so it also builds for PFP.
 *
 * Before a RakNet connection exists, every message starts with its id and carries the 16-byte
 * "offline message" magic 00 FF FF 00 FE FE FE FE FD FD FD FD 12 34 56 78. An unconnected ping
 * (0x01, or 0x02 "open connections") is answered with an unconnected pong that carries the
 * server's MOTD string, several times the ping's 33 bytes: a spoofed ping is an amplified
 * reflection at the victim. So:
 *
 *   0x01 / 0x02 unconnected ping: id | u64 time | magic | u64 client GUID, exactly 33 bytes
 *        -> pass while this source has sent at most PINGS_PER_WINDOW pings in the current
 *           WINDOW_SECS window (server lists ping a few times a second at most), else drop
 *   0x05 open connection request 1: id | magic | u8 protocol | zero padding to the MTU probed,
 *        18 to MAX_PAYLOAD bytes                                  -> pass
 *   0x07 open connection request 2: id | magic | server address (7 bytes IPv4, 29 IPv6) |
 *        u16 MTU | u64 GUID, 34 or 56 bytes                       -> pass
 *   any of these with a wrong length or magic                     -> drop
 *   0x1C pong, 0x06 / 0x08 open connection replies: a server's answers reflected at us -> drop
 *   a connected datagram (the valid bit 0x80 set: frame sets 0x80-0x8D, ACK 0xC0, NAK 0xA0)
 *                                                                 -> pass (the game session)
 *   anything else, and unparsable packets                         -> drop
 *
 * The ping budget is kept in the source's user data (set_src_ip_data): the window's start in
 * the high 32 bits, the pings counted in it in the low 32. It lives on this edge only; a spoofer
 * can spend a victim's budget, which only delays the victim's server-list entry.
 */
#define CF_EBPF_HELPER_V0

#include <cf_ebpf_defs.h>
#include <cf_ebpf_helper.h>

#define ID_UNCONNECTED_PING 0x01
#define ID_UNCONNECTED_PING_OPEN_CONNECTIONS 0x02
#define ID_OPEN_CONNECTION_REQUEST_1 0x05
#define ID_OPEN_CONNECTION_REPLY_1 0x06
#define ID_OPEN_CONNECTION_REQUEST_2 0x07
#define ID_OPEN_CONNECTION_REPLY_2 0x08
#define ID_UNCONNECTED_PONG 0x1c
#define VALID_DATAGRAM 0x80

#define MAGIC_LEN 16
#define PING_LEN (1 + 8 + MAGIC_LEN + 8)
#define OCR1_MIN_LEN (1 + MAGIC_LEN + 1)
#define OCR2_IPV4_LEN (1 + MAGIC_LEN + 7 + 2 + 8)
#define OCR2_IPV6_LEN (1 + MAGIC_LEN + 29 + 2 + 8)
#define MAX_PAYLOAD 1472 /* a 1500-byte MTU less the IPv4 and UDP headers */

#define WINDOW_SECS 10
#define PINGS_PER_WINDOW 20

static const uint8_t offline_magic[MAGIC_LEN] = {
    0x00, 0xff, 0xff, 0x00, 0xfe, 0xfe, 0xfe, 0xfe, 0xfd, 0xfd, 0xfd, 0xfd, 0x12, 0x34, 0x56, 0x78,
};

/* True when exactly n bytes follow p (the verifier follows pointer comparisons, not the
 * difference of two pointers). */
static inline __attribute__((always_inline)) int length_is(uint8_t *p, uint8_t *end, size_t n)
{
    return p + n <= end && p + n >= end;
}

/* True when the magic is at p[at..at+16) and the packet holds it. */
static inline __attribute__((always_inline)) int magic_at(uint8_t *p, uint8_t *end, size_t at)
{
    return p + at + MAGIC_LEN <= end && memcmp(p + at, offline_magic, MAGIC_LEN) == 0;
}

/* Counts one ping against this source's window; true while it is within the budget. */
static inline __attribute__((always_inline)) int ping_allowed(void)
{
    uint32_t now = (uint32_t)timestamp();
    uint64_t data = 0;
    uint32_t start = now;
    uint32_t count = 0;
    if (get_src_ip_data(&data) == 0 && now - (uint32_t)(data >> 32) < WINDOW_SECS) {
        start = (uint32_t)(data >> 32);
        count = (uint32_t)data;
    }
    if (count <= PINGS_PER_WINDOW)
        count++; /* saturates one above the budget */
    set_src_ip_data(((uint64_t)start << 32) | count);
    return count <= PINGS_PER_WINDOW;
}

uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    if (parse_packet_data(ctx, NULL, &headers) != 0)
        return CF_EBPF_DROP;

    uint8_t *p = (uint8_t *)(headers.udp + 1);
    uint8_t *end = headers.data_end;
    if (p + 1 > end || p + MAX_PAYLOAD < end)
        return CF_EBPF_DROP;

    switch (p[0]) {
    case ID_UNCONNECTED_PING:
    case ID_UNCONNECTED_PING_OPEN_CONNECTIONS:
        if (!length_is(p, end, PING_LEN) || !magic_at(p, end, 1 + 8))
            return CF_EBPF_DROP;
        return ping_allowed() ? CF_EBPF_PASS : CF_EBPF_DROP;
    case ID_OPEN_CONNECTION_REQUEST_1:
        if (p + OCR1_MIN_LEN > end || !magic_at(p, end, 1))
            return CF_EBPF_DROP;
        return CF_EBPF_PASS;
    case ID_OPEN_CONNECTION_REQUEST_2:
        if (!(length_is(p, end, OCR2_IPV4_LEN) || length_is(p, end, OCR2_IPV6_LEN)) || !magic_at(p, end, 1))
            return CF_EBPF_DROP;
        return CF_EBPF_PASS;
    case ID_UNCONNECTED_PONG:
    case ID_OPEN_CONNECTION_REPLY_1:
    case ID_OPEN_CONNECTION_REPLY_2:
        return CF_EBPF_DROP;
    default:
        return (p[0] & VALID_DATAGRAM) ? CF_EBPF_PASS : CF_EBPF_DROP;
    }
}
