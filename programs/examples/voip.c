/*
 * voip.c — SIP signalling on UDP 5060 and RTP/RTCP media on UDP 10000-20000 (Asterisk's and
 * FreeSWITCH's default range), for a VoIP server or session border controller. Written as a
 * Programmable Flow Protection program (PFP's headers and helpers only, section
 * "cf_ebpf_generic").
 *
 * SIP, destination port 5060:
 *   a request line  METHOD SP Request-URI SP "SIP/2.0" CRLF  with METHOD one of RFC 3261's and
 *   its extensions' (INVITE ACK BYE CANCEL REGISTER OPTIONS PRACK SUBSCRIBE NOTIFY PUBLISH INFO
 *   REFER MESSAGE UPDATE) and a sip:, sips: or tel: URI, or a status line
 *   "SIP/2.0" SP 3 digits SP (answers to the server's own requests)        -> pass
 *   longer than 1300 bytes (RFC 3261 18.1.1: such a request goes over TCP), a first line
 *   longer than MAX_LINE, any other start                                  -> drop
 * RTP, even destination port in the range:
 *   version 2, at least 12 bytes plus 4 per CSRC (and the extension header when X is set),
 *   payload type 0-34 (static) or 96-127 (dynamic), and the SSRC this flow started with
 *                                                                          -> pass
 *   another version, a payload type in 35-95 (unassigned, or 72-76, which collide with
 *   RTCP), a truncated header, or a second SSRC on the same flow          -> drop
 * RTCP, odd destination port in the range:
 *   version 2, a compound packet starting with a sender or receiver report (packet type 200 or
 *   201, RFC 3550 6.1) whose length field fits the datagram                -> pass, else drop
 * Every other destination port                                            -> drop
 *
 * The SSRC is kept per flow (source address and port, destination address and port) in the
 * flow's user data: 1 << 32 | SSRC, set by the flow's first valid RTP packet. A stream injected
 * into a call from the right address and port with another SSRC is dropped; so is an endpoint
 * that legitimately changes SSRC mid-call (RFC 3550 8.2 collisions, some endpoints on
 * re-INVITE): to allow that, accept a new SSRC and store it instead of dropping.
 */
#define CF_EBPF_HELPER_V0

#include <cf_ebpf_defs.h>
#include <cf_ebpf_helper.h>

#define SIP_PORT 5060
#define RTP_PORT_MIN 10000
#define RTP_PORT_MAX 20000
#define SIP_MAX_UDP 1300
#define MAX_LINE 256

#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8
#define RTCP_SR 200
#define RTCP_RR 201
#define FLOW_SSRC_SET (1ull << 32)

/* The request methods, each with the space that ends it. */
#define METHOD(s) {s, sizeof(s) - 1}
struct method {
    char name[11];
    uint8_t len;
};
static const struct method methods[] = {
    METHOD("INVITE "),  METHOD("ACK "),     METHOD("BYE "),       METHOD("CANCEL "),
    METHOD("REGISTER "), METHOD("OPTIONS "), METHOD("PRACK "),    METHOD("SUBSCRIBE "),
    METHOD("NOTIFY "),  METHOD("PUBLISH "), METHOD("INFO "),      METHOD("REFER "),
    METHOD("MESSAGE "), METHOD("UPDATE "),
};
#define METHODS (sizeof(methods) / sizeof(methods[0]))

static const char sip_version[] = " SIP/2.0";
#define SIP_VERSION_LEN (sizeof(sip_version) - 1)

/* True when the n bytes of s are at p (inside the packet). */
static inline __attribute__((always_inline)) int starts_with(const uint8_t *p, const uint8_t *end, const char *s, size_t n)
{
    if (p + n > end)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)s[i])
            return 0;
    return 1;
}

static inline __attribute__((always_inline)) int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* The first line ends in " SIP/2.0" CRLF within MAX_LINE bytes of p. */
static inline __attribute__((always_inline)) int line_ends_with_version(const uint8_t *p, const uint8_t *end)
{
    for (int i = SIP_VERSION_LEN; i < MAX_LINE; i++) {
        const uint8_t *q = p + i;
        if (q + 2 > end)
            return 0;
        if (q[0] == '\r')
            return q[1] == '\n' && starts_with(q - SIP_VERSION_LEN, end, sip_version, SIP_VERSION_LEN);
    }
    return 0;
}

static inline __attribute__((always_inline)) uint64_t check_sip(uint8_t *p, uint8_t *end)
{
    if (p + SIP_MAX_UDP < end)
        return CF_EBPF_DROP;
    if (starts_with(p, end, "SIP/2.0 ", 8)) {
        if (p + 12 > end || !is_digit(p[8]) || !is_digit(p[9]) || !is_digit(p[10]) || p[11] != ' ')
            return CF_EBPF_DROP;
        return CF_EBPF_PASS;
    }
    for (unsigned m = 0; m < METHODS; m++) {
        if (!starts_with(p, end, methods[m].name, methods[m].len))
            continue;
        uint8_t *uri = p + methods[m].len;
        if (!starts_with(uri, end, "sip:", 4) && !starts_with(uri, end, "sips:", 5) && !starts_with(uri, end, "tel:", 4))
            return CF_EBPF_DROP;
        return line_ends_with_version(uri, end) ? CF_EBPF_PASS : CF_EBPF_DROP;
    }
    return CF_EBPF_DROP;
}

static inline __attribute__((always_inline)) uint64_t check_rtp(uint8_t *p, uint8_t *end)
{
    if (p + RTP_HEADER_LEN > end || (p[0] >> 6) != 2)
        return CF_EBPF_DROP;
    uint8_t *after = p + RTP_HEADER_LEN + 4 * (p[0] & 0x0f);
    if (after > end)
        return CF_EBPF_DROP;
    if ((p[0] & 0x10) && after + 4 > end) /* X: a 4-byte extension header follows the CSRCs */
        return CF_EBPF_DROP;
    uint8_t type = p[1] & 0x7f;
    if (type > 34 && type < 96)
        return CF_EBPF_DROP;

    uint64_t ssrc = FLOW_SSRC_SET | ((uint64_t)p[8] << 24) | ((uint64_t)p[9] << 16) | ((uint64_t)p[10] << 8) | p[11];
    uint64_t pinned = 0;
    if (get_flow_data(&pinned) == 0 && (pinned & FLOW_SSRC_SET))
        return pinned == ssrc ? CF_EBPF_PASS : CF_EBPF_DROP;
    set_flow_data(ssrc);
    return CF_EBPF_PASS;
}

static inline __attribute__((always_inline)) uint64_t check_rtcp(uint8_t *p, uint8_t *end)
{
    if (p + RTCP_HEADER_LEN > end || (p[0] >> 6) != 2 || (p[1] != RTCP_SR && p[1] != RTCP_RR))
        return CF_EBPF_DROP;
    /* The length field counts 32-bit words less one. */
    size_t words = ((size_t)p[2] << 8) | p[3];
    return p + 4 * (words + 1) <= end ? CF_EBPF_PASS : CF_EBPF_DROP;
}

__attribute__((section("cf_ebpf_generic"))) uint64_t cf_ebpf_main(void *state)
{
    struct cf_ebpf_generic_ctx *ctx = state;
    struct cf_ebpf_parsed_headers headers;
    if (parse_packet_data(ctx, NULL, &headers) != 0)
        return CF_EBPF_DROP;

    uint8_t *payload = (uint8_t *)(headers.udp + 1);
    uint16_t port = ntohs(headers.udp->dest);
    if (port == SIP_PORT)
        return check_sip(payload, headers.data_end);
    if (port < RTP_PORT_MIN || port > RTP_PORT_MAX)
        return CF_EBPF_DROP;
    return (port & 1) ? check_rtcp(payload, headers.data_end) : check_rtp(payload, headers.data_end);
}
