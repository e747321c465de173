/*
 * cf_ebpf_helper.h — helpers 1–20 of the Programmable Flow Protection (PFP) ABI, under the
 * names PFP programs use. Written for flowshield; compatible with PFP's header of this name.
 *
 * The helper numbers (enum cf_ebpf_helper_type) are always defined. The callable helpers are
 * defined only when CF_EBPF_HELPER_V0 is defined before this file is included, as with PFP:
 *
 *     #define CF_EBPF_HELPER_V0
 *     #include <cf_ebpf_defs.h>
 *     #include <cf_ebpf_helper.h>
 *
 * Each helper is a static function pointer whose value is the helper number; clang turns a
 * call through it into the BPF `call N` instruction. Pointers that are never called cost
 * nothing. Arguments and results (all helpers run on the host, in TypeScript):
 *
 *  n  name                       arguments                               returns
 *  1  rand                       ()                                      random u64
 *  2  timestamp                  ()                                      UNIX time, seconds
 *  3  cf_ebpf_printf             (fmt, up to 3 integer args)             0; prints only in debug/test
 *  4  hash_md5                   (src, src_len, dest, dest_len)          16, or -1 / -2
 *  5  hash_sha256                (src, src_len, dest, dest_len)          32, or -1 / -2
 *  6  hash_sha512                (src, src_len, dest, dest_len)          64, or -1 / -2
 *  7  hash_crc32                 (src, src_len, uint64_t *dest)          8, or -1 / -2
 *  8  hmac_sha256                (src, src_len, dest, dest_len)          32, or -1 / -2 / -3
 *  9  hmac_sha512                (src, src_len, dest, dest_len)          64, or -1 / -2 / -3
 * 10  set_challenge              (src, src_len)                          0, -4, -5, -6
 * 11  get_src_ip_status          (uint8_t *status, uint64_t *expiry)     0, -1, -2, -3, -4, -5
 * 12  set_src_ip_status          (uint8_t status, uint64_t expiry_secs)  0, -2, -5
 * 13  get_src_ip_data            (uint64_t *data)                        0, -1, -2, -3, -4, -5
 * 14  set_src_ip_data            (uint64_t data)                         0, -2, -5
 * 15  get_flow_data              (uint64_t *data)                        0, -1, -2, -3, -4, -5
 * 16  set_flow_data              (uint64_t data)                         0, -2, -5
 * 17  entropy                    (src, src_len)                          0..8000 millibits, or -1
 * 18  set_network_analytics_tag  (uint64_t tag)                          0
 * 19  hash_blake2b512            (src, src_len, dest, dest_len)          64, or -1 / -2
 * 20  hmac_blake2b512            (src, src_len, dest, dest_len)          64, or -1 / -2 / -3
 *
 * Return codes:
 *   hashes and HMACs: bytes written; -1 the source buffer is invalid; -2 the destination is
 *     NULL or smaller than the digest. HMAC keys are held by the host, one per tenant, the same
 *     on every edge; the program never sees them. -3 (HMACs only, a flowshield addition): the
 *     edge does not hold the tenant's key yet.
 *   state helpers: -1 no entry (an expired entry reads as no entry); -2 no source-IP / flow
 *     context for this packet; -3 the output buffer is too small; -4 both outputs NULL (status)
 *     or output NULL/unaligned (data); -5 the table is not enabled.
 *   set_challenge: -4 source invalid or larger than allowed (never larger than the packet that
 *     triggered it); -5 challenges disabled; -6 rate limited (per source or globally).
 *     A length of 0 clears a challenge set earlier in the same run.
 *
 * State semantics: a status set with set_src_ip_status lives expiry_secs seconds from now
 * (0 = never expires); get_src_ip_status reports the expiry as a UNIX time in seconds (0 =
 * never), comparable with timestamp(). Statuses follow a client to every edge; per-IP and
 * per-flow data (one u64 each) stay on the edge that set them. The flow key is the 4-tuple
 * (source IP, source port, destination IP, destination port).
 *
 * crc32 is CRC-32/ISO-HDLC (the zlib one). The raw helper writes the 32-bit value little-endian
 * into an 8-byte buffer; hash_crc32() below turns that into an integer.
 */
#ifndef FLOWSHIELD_CF_EBPF_HELPER_H
#define FLOWSHIELD_CF_EBPF_HELPER_H

#include "fs_base.h"

/* Helper numbers: the immediate of the BPF `call` instruction. */
enum cf_ebpf_helper_type {
    CF_EBPF_UNUSED = 0,
    CF_EBPF_RAND_V0 = 1,
    CF_EBPF_TIMESTAMP_V0 = 2,
    CF_EBPF_PRINTF_V0 = 3,
    CF_EBPF_HASH_MD5_V0 = 4,
    CF_EBPF_HASH_SHA256_V0 = 5,
    CF_EBPF_HASH_SHA512_V0 = 6,
    CF_EBPF_HASH_CRC32_ISO_HDLC_V0 = 7,
    CF_EBPF_HMAC_SHA256_V0 = 8,
    CF_EBPF_HMAC_SHA512_V0 = 9,
    CF_EBPF_SET_CHALLENGE_V0 = 10,
    CF_EBPF_GET_SRC_IP_STATUS_V0 = 11,
    CF_EBPF_SET_SRC_IP_STATUS_V0 = 12,
    CF_EBPF_GET_SRC_IP_DATA_V0 = 13,
    CF_EBPF_SET_SRC_IP_DATA_V0 = 14,
    CF_EBPF_GET_FLOW_DATA_V0 = 15,
    CF_EBPF_SET_FLOW_DATA_V0 = 16,
    CF_EBPF_ENTROPY_V0 = 17,
    CF_EBPF_SET_NETWORK_ANALYTICS_TAG_V0 = 18,
    CF_EBPF_HASH_BLAKE2B_512_V0 = 19,
    CF_EBPF_HMAC_BLAKE2B_512_V0 = 20,
    CF_EBPF_NUM_HELPERS_MAX,
};

/* Source-IP statuses (helpers 11 and 12). */
#define CF_EBPF_SRC_IP_STATUS_NONE 0
#define CF_EBPF_SRC_IP_STATUS_CHALLENGED 1
#define CF_EBPF_SRC_IP_STATUS_VERIFIED 2
#define CF_EBPF_SRC_IP_STATUS_BLOCKLISTED 3

#ifdef CF_EBPF_HELPER_V0

/* Builds a typed pointer to helper number `n`. */
#define __CF_HELPER(n) ((void *)(uintptr_t)(n))

static uint64_t (*rand)(void) = __CF_HELPER(CF_EBPF_RAND_V0);
static int64_t (*timestamp)(void) = __CF_HELPER(CF_EBPF_TIMESTAMP_V0);

/* printf takes a format and exactly three integer arguments; cf_ebpf_printf(fmt, ...) pads
 * the missing ones with zeros. Format strings are ordinary `static const char[]` data. */
static uint64_t (*_cf_ebpf_printf_raw)(const char *fmt, uint64_t a, uint64_t b,
                                       uint64_t c) = __CF_HELPER(CF_EBPF_PRINTF_V0);
#define __CF_PRINTF_0(fmt) _cf_ebpf_printf_raw((fmt), 0, 0, 0)
#define __CF_PRINTF_1(fmt, a) _cf_ebpf_printf_raw((fmt), (uint64_t)(a), 0, 0)
#define __CF_PRINTF_2(fmt, a, b) _cf_ebpf_printf_raw((fmt), (uint64_t)(a), (uint64_t)(b), 0)
#define __CF_PRINTF_3(fmt, a, b, c)                                                           \
    _cf_ebpf_printf_raw((fmt), (uint64_t)(a), (uint64_t)(b), (uint64_t)(c))
#define __CF_PRINTF_PICK(_1, _2, _3, _4, which, ...) which
#define cf_ebpf_printf(...)                                                                   \
    __CF_PRINTF_PICK(__VA_ARGS__, __CF_PRINTF_3, __CF_PRINTF_2, __CF_PRINTF_1,                \
                     __CF_PRINTF_0)(__VA_ARGS__)

static int (*hash_md5)(uint8_t *src, size_t src_len, uint8_t *dest,
                       size_t dest_len) = __CF_HELPER(CF_EBPF_HASH_MD5_V0);
static int (*hash_sha256)(uint8_t *src, size_t src_len, uint8_t *dest,
                          size_t dest_len) = __CF_HELPER(CF_EBPF_HASH_SHA256_V0);
static int (*hash_sha512)(uint8_t *src, size_t src_len, uint8_t *dest,
                          size_t dest_len) = __CF_HELPER(CF_EBPF_HASH_SHA512_V0);

static int (*_cf_ebpf_hash_crc32_raw)(uint8_t *src, size_t src_len, uint8_t *dest,
                                      size_t dest_len) = __CF_HELPER(CF_EBPF_HASH_CRC32_ISO_HDLC_V0);

/* CRC-32 of src into *dest (the value in the low 32 bits). Returns 8 or a negative code. */
static __always_inline int hash_crc32(uint8_t *src, size_t src_len, uint64_t *dest)
{
    uint8_t le[8] = {0};
    int rc = _cf_ebpf_hash_crc32_raw(src, src_len, le, sizeof(le));
    if (rc < 0)
        return rc;
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--)
        value = (value << 8) | le[i];
    *dest = value;
    return rc;
}

static int (*hmac_sha256)(uint8_t *src, size_t src_len, uint8_t *dest,
                          size_t dest_len) = __CF_HELPER(CF_EBPF_HMAC_SHA256_V0);
static int (*hmac_sha512)(uint8_t *src, size_t src_len, uint8_t *dest,
                          size_t dest_len) = __CF_HELPER(CF_EBPF_HMAC_SHA512_V0);

static int (*set_challenge)(uint8_t *src, size_t src_len) = __CF_HELPER(CF_EBPF_SET_CHALLENGE_V0);

/* The raw state getters take explicit output sizes; the macros pass the sizes PFP programs
 * expect, so a program writes get_src_ip_status(&status, &expiry). Either pointer may be NULL
 * (not both). */
static int (*_cf_ebpf_get_src_ip_status_raw)(uint8_t *out_status, size_t status_len,
                                             uint64_t *out_expiry, size_t expiry_len) =
    __CF_HELPER(CF_EBPF_GET_SRC_IP_STATUS_V0);
#define get_src_ip_status(out_status, out_expiry)                                             \
    _cf_ebpf_get_src_ip_status_raw((out_status), sizeof(uint8_t), (out_expiry), sizeof(uint64_t))

static int (*set_src_ip_status)(uint8_t status,
                                uint64_t expiry_secs) = __CF_HELPER(CF_EBPF_SET_SRC_IP_STATUS_V0);

static int (*_cf_ebpf_get_src_ip_data_raw)(uint64_t *out_data, size_t data_len) =
    __CF_HELPER(CF_EBPF_GET_SRC_IP_DATA_V0);
#define get_src_ip_data(out_data) _cf_ebpf_get_src_ip_data_raw((out_data), sizeof(uint64_t))

static int (*set_src_ip_data)(uint64_t data) = __CF_HELPER(CF_EBPF_SET_SRC_IP_DATA_V0);

static int (*_cf_ebpf_get_flow_data_raw)(uint64_t *out_data, size_t data_len) =
    __CF_HELPER(CF_EBPF_GET_FLOW_DATA_V0);
#define get_flow_data(out_data) _cf_ebpf_get_flow_data_raw((out_data), sizeof(uint64_t))

static int (*set_flow_data)(uint64_t data) = __CF_HELPER(CF_EBPF_SET_FLOW_DATA_V0);

static int64_t (*entropy)(uint8_t *src, size_t src_len) = __CF_HELPER(CF_EBPF_ENTROPY_V0);

static int (*set_network_analytics_tag)(uint64_t value) =
    __CF_HELPER(CF_EBPF_SET_NETWORK_ANALYTICS_TAG_V0);

static int (*hash_blake2b512)(const uint8_t *src, size_t src_len, uint8_t *dest,
                              size_t dest_len) = __CF_HELPER(CF_EBPF_HASH_BLAKE2B_512_V0);
static int (*hmac_blake2b512)(const uint8_t *src, size_t src_len, uint8_t *dest,
                              size_t dest_len) = __CF_HELPER(CF_EBPF_HMAC_BLAKE2B_512_V0);

#endif /* CF_EBPF_HELPER_V0 */

#endif /* FLOWSHIELD_CF_EBPF_HELPER_H */
