/*
 * challenge.c — the challenge state machine of DESIGN.md section 4, with flowshield's standard
 * puzzle (helpers 64 and 65). Program type: flowshield.
 *
 * Per source IP (VERIFIED and BLOCKED reach every edge; a first-contact CHALLENGED stays on the
 * edge that challenged, since the challenge itself verifies anywhere: flowshield.h, State):
 *   VERIFIED                      -> pass (until the status expires: VERIFIED_LIFETIME)
 *   BLOCKED                       -> drop (until it expires: BLOCKED_LIFETIME)
 *   packet carries a valid answer -> status VERIFIED, drop this packet (it is the answer, not
 *                                    game traffic: the client resumes with its next packet)
 *   answer with a wrong proof of work under a valid tag (FS_ANSWER_BAD_SOLUTION)
 *                                 -> status BLOCKED, drop: only a host that received the
 *                                    challenge sent to this address and port can send it
 *   any other rejected answer     -> drop and count; the status is NOT changed. Malformed
 *                                    answers, bad tags, unknown keys, wrong addresses or
 *                                    ports, expired or replayed answers are exactly what an
 *                                    off-path spoofer can send with a victim's address, so
 *                                    they must never block it (flowshield.h, FS_ANSWER_*).
 *                                    A fresh challenge goes out as for any other packet.
 *   otherwise (unknown source, or CHALLENGED and still no answer)
 *                                 -> issue the standard challenge, status CHALLENGED, drop
 *                                    (the edge rate-limits repeated challenges per source)
 * Counters (fs_counter_add): see the COUNTER_* ids below.
 */
#include <flowshield.h>

#define CHALLENGED_LIFETIME 60   /* seconds a client has to answer */
#define VERIFIED_LIFETIME 3600   /* seconds a verified client passes without a new challenge */
#define BLOCKED_LIFETIME 600     /* seconds a client that sent a wrong proof of work is dropped */

#define COUNTER_CHALLENGES_ISSUED 1
#define COUNTER_ANSWERS_VALID 2
#define COUNTER_ANSWERS_INVALID 3 /* every rejected answer, whatever the reason */
#define COUNTER_ANSWERS_HOSTILE 4 /* rejected answers that blocked the source */

SEC("flowshield")
u64 cf_ebpf_main(struct fs_ctx *ctx)
{
    (void)ctx;
    u8 status = FS_STATUS_NONE;
    if (fs_get_src_ip_status(&status, NULL) != FS_OK)
        status = FS_STATUS_NONE; /* no entry, or expired */

    if (status == FS_STATUS_VERIFIED)
        return FS_PASS;
    if (status == FS_STATUS_BLOCKED)
        return FS_DROP;

    long answer = fs_verify_challenge();
    if (answer == FS_ANSWER_VALID) {
        fs_set_src_ip_status(FS_STATUS_VERIFIED, VERIFIED_LIFETIME);
        fs_counter_add(COUNTER_ANSWERS_VALID, 1);
        return FS_DROP;
    }
    if (answer < 0) {
        fs_counter_add(COUNTER_ANSWERS_INVALID, 1);
        if (FS_ANSWER_PROVES_RECEIPT(answer)) {
            fs_set_src_ip_status(FS_STATUS_BLOCKED, BLOCKED_LIFETIME);
            fs_counter_add(COUNTER_ANSWERS_HOSTILE, 1);
            return FS_DROP;
        }
        /* Spoofable: fall through and challenge again, leaving the status as it is. */
    }

    /* Not an answer (or a rejected one): challenge the source. If the edge refuses (rate limit,
     * challenge larger than this packet, challenges disabled) the status is still set so that
     * the next packet is challenged again once the limit allows. */
    if (fs_issue_challenge() == FS_OK)
        fs_counter_add(COUNTER_CHALLENGES_ISSUED, 1);
    if (status != FS_STATUS_CHALLENGED)
        fs_set_src_ip_status(FS_STATUS_CHALLENGED, CHALLENGED_LIFETIME);
    return FS_DROP;
}
