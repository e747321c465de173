/*
 * Native baseline of bench/vm: runs a program compiled natively (glue.c) over packets laid out
 * once in PFP's context (struct { u64 total_packet_length; u64 ip_header_length; u8 buf[1500]; }),
 * with the PFP helpers the programs call: a status lookup in an open-addressing hash table keyed
 * by the 16-byte source address (the host's table in the engines), the clock, rand.
 *
 * Input (argv[1]): u32 count, then per packet u32 ip_length, u32 ip_header_length, u8 src[16],
 * u8 ip[ip_length]; then u32 entries, each u8 ip[16], u8 status, u64 expiry (little-endian).
 * argv[2]: packets per round. Prints {"ns": best ns/packet of 3 rounds, "verdicts": [first count]}.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
void native_bind(void *const *helpers);
u64 native_run(void *ctx);

struct packet { u64 total_packet_length; u64 ip_header_length; uint8_t buf[1504]; };
struct ctx { u64 data; u64 data_end; u64 metadata; };

#define SLOTS 4096 /* power of two, load <= 1/2 */
struct entry { uint8_t ip[16]; uint8_t used; uint8_t status; u64 expiry; };
static struct entry table[SLOTS];
static const uint8_t *current_src;

static uint32_t hash16(const uint8_t *ip)
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++) h = (h ^ ip[i]) * 16777619u;
    return h;
}

static struct entry *find(const uint8_t *ip, int insert)
{
    for (uint32_t i = hash16(ip) & (SLOTS - 1);; i = (i + 1) & (SLOTS - 1)) {
        struct entry *e = &table[i];
        if (!e->used) return insert ? e : NULL;
        if (memcmp(e->ip, ip, 16) == 0) return e;
    }
}

static long get_src_ip_status(uint8_t *status, u64 status_len, u64 *expiry, u64 expiry_len)
{
    if (!status && !expiry) return -4;
    if ((status && status_len < 1) || (expiry && expiry_len < 8)) return -3;
    struct entry *e = find(current_src, 0);
    if (!e) return -1;
    if (status) *status = e->status;
    if (expiry) *expiry = e->expiry;
    return 0;
}

static long long timestamp_helper(void) { return 1700000000; }
static u64 rand_state = 88172645463325252ull;
static u64 rand_helper(void) { rand_state ^= rand_state << 13; rand_state ^= rand_state >> 7; rand_state ^= rand_state << 17; return rand_state; }

static uint32_t read32(FILE *f) { uint8_t b[4]; if (fread(b, 1, 4, f) != 4) exit(2); return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: harness INPUT PER_ROUND\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    uint32_t n = read32(f);
    struct packet *packets = calloc(n, sizeof(struct packet));
    struct ctx *ctxs = calloc(n, sizeof(struct ctx));
    uint8_t (*srcs)[16] = calloc(n, 16);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = read32(f);
        packets[i].total_packet_length = len;
        packets[i].ip_header_length = read32(f);
        if (len > 1500 || fread(srcs[i], 1, 16, f) != 16 || fread(packets[i].buf, 1, len, f) != len) return 2;
        ctxs[i].data = (u64)(uintptr_t)&packets[i];
        ctxs[i].data_end = (u64)(uintptr_t)&packets[i] + sizeof(struct packet); /* data + 1520, as the engines lay it out */
    }
    uint32_t entries = read32(f);
    for (uint32_t i = 0; i < entries; i++) {
        uint8_t ip[16], status, ex[8];
        if (fread(ip, 1, 16, f) != 16 || fread(&status, 1, 1, f) != 1 || fread(ex, 1, 8, f) != 8) return 2;
        struct entry *e = find(ip, 1);
        memcpy(e->ip, ip, 16);
        e->used = 1;
        e->status = status;
        memcpy(&e->expiry, ex, 8);
    }
    fclose(f);
    void *helpers[32] = {0};
    helpers[1] = (void *)rand_helper;
    helpers[2] = (void *)timestamp_helper;
    helpers[11] = (void *)get_src_ip_status;
    native_bind(helpers);

    long per_round = atol(argv[2]);
    printf("{\"verdicts\": [");
    for (uint32_t i = 0; i < n; i++) {
        current_src = srcs[i];
        printf("%s%llu", i ? "," : "", (unsigned long long)native_run(&ctxs[i]));
    }
    volatile u64 sink = 0;
    double best = 1e300;
    for (int round = -1; round < 3; round++) {
        double start = now_ns();
        u64 s = 0;
        for (long k = 0, i = 0; k < per_round; k++) {
            current_src = srcs[i];
            s += native_run(&ctxs[i]);
            if (++i == n) i = 0;
        }
        sink += s;
        double ns = (now_ns() - start) / per_round;
        if (round >= 0 && ns < best) best = ns;
    }
    printf("], \"ns\": %.3f}\n", best);
    return sink == 0xdeadbeef;
}
