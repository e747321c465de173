/*
 * sender.c — the flood of bench/flood: spoofed IPv4/UDP datagrams from random 127.0.0.0/8 sources.
 *
 * A raw socket (IPPROTO_RAW, IP_HDRINCL; needs root or CAP_NET_RAW) writes whole IP packets, so
 * every datagram can carry its own source address and port. It only ever sends to 127.0.0.0/8
 * (any other destination is refused before a socket is opened), and it always stops at the first
 * of two required bounds: a packet count and a time limit.
 *
 *   sender --dst 127.0.0.1:PORT --count N --seconds S [--rate PPS] [--sources N] [--first I]
 *          [--payload BYTES] [--batch B] [--exclude A.B.C.D/LEN]... [--seed X] [--fixed-ports 1]
 *
 * Sources: --sources distinct addresses, taken from a fixed pseudo-random permutation of the 2^24
 * addresses of 127.0.0.0/8, starting at index --first (so phases of one run can use disjoint sets).
 * Packet j comes from source (j mod sources) and a random port in 1024..65535 (with --fixed-ports 1,
 * each source keeps one port: a few sources are then a few flows, not a new flow per packet). 127.0.0.0/24 (which
 * holds 127.0.0.1 and the benchmark's legitimate clients) is always excluded; --exclude adds more.
 * With --rate 0 (default) it sends as fast as sendmmsg goes; otherwise it paces batches to the rate.
 * Prints one JSON object: {"sent", "seconds", "rate", "sources", "distinctSources", "payload", "errors"}.
 *
 * Build: cc -O2 -o sender sender.c  (libc only)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define MAX_PAYLOAD 1472
#define MAX_EXCLUDES 16

static void die(const char *msg) {
    fprintf(stderr, "sender: %s\n", msg);
    exit(2);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A bijection on 24-bit integers (odd multipliers and xor-shifts are invertible mod 2^24), so
 * perm(0), perm(1), … are distinct: N sources are N distinct addresses without a set to check. */
static uint32_t perm24(uint32_t x, uint32_t seed) {
    const uint32_t M = 0xFFFFFF;
    x = (x ^ seed) & M;
    x = (x * 0x9E3779u + 0x7F4A7Cu) & M; /* 0x9E3779 is odd */
    x ^= x >> 11;
    x = (x * 0xC2B2AFu) & M;               /* odd */
    x ^= x >> 13;
    x = (x * 0x27D4EBu) & M;               /* odd */
    x ^= x >> 12;
    return x;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rng32(void) { /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint16_t checksum(const void *data, size_t len, uint32_t sum) {
    const uint8_t *p = data;
    for (; len > 1; p += 2, len -= 2) sum += (uint32_t)p[0] << 8 | p[1];
    if (len) sum += (uint32_t)p[0] << 8;
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

struct cidr { uint32_t net, mask; };

static int parse_cidr(const char *text, struct cidr *out) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = strchr(buf, '/');
    int len = 32;
    if (slash) { *slash = 0; len = atoi(slash + 1); }
    struct in_addr a;
    if (inet_pton(AF_INET, buf, &a) != 1 || len < 0 || len > 32) return -1;
    out->mask = len == 0 ? 0 : htonl(0xFFFFFFFFu << (32 - len));
    out->net = a.s_addr & out->mask;
    return 0;
}

static struct cidr excludes[MAX_EXCLUDES];
static int n_excludes;

static int excluded(uint32_t addr_be) {
    for (int i = 0; i < n_excludes; i++) if ((addr_be & excludes[i].mask) == excludes[i].net) return 1;
    return 0;
}

int main(int argc, char **argv) {
    const char *dst_text = NULL;
    long long count = -1;
    double seconds = -1, rate = 0;
    long sources = 1000000, first = 0;
    int payload = 64, batch = 256, fixed_ports = 0;
    uint32_t seed = 0x5EED;
    parse_cidr("127.0.0.0/24", &excludes[n_excludes++]);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) die("every option takes a value");
        i++;
        if (!strcmp(a, "--dst")) dst_text = v;
        else if (!strcmp(a, "--count")) count = atoll(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else if (!strcmp(a, "--rate")) rate = atof(v);
        else if (!strcmp(a, "--sources")) sources = atol(v);
        else if (!strcmp(a, "--first")) first = atol(v);
        else if (!strcmp(a, "--payload")) payload = atoi(v);
        else if (!strcmp(a, "--batch")) batch = atoi(v);
        else if (!strcmp(a, "--fixed-ports")) fixed_ports = atoi(v);
        else if (!strcmp(a, "--seed")) seed = (uint32_t)strtoul(v, NULL, 0);
        else if (!strcmp(a, "--exclude")) {
            if (n_excludes == MAX_EXCLUDES || parse_cidr(v, &excludes[n_excludes++])) die("bad --exclude (A.B.C.D/LEN, at most 15)");
        } else die("unknown option (see the comment at the top of sender.c)");
    }
    if (!dst_text) die("--dst 127.x.y.z:PORT is required");
    if (count <= 0) die("--count N (> 0) is required: the flood is bounded by a packet count");
    if (!(seconds > 0)) die("--seconds S (> 0) is required: the flood is bounded by a time limit");
    if (sources < 1 || sources > (1 << 23)) die("--sources must be 1..8388608");
    if (first < 0 || first + sources > (1 << 24)) die("--first + --sources must stay within 2^24");
    if (payload < 0 || payload > MAX_PAYLOAD) die("--payload must be 0..1472 bytes");
    if (batch < 1 || batch > MAX_BATCH) die("--batch must be 1..1024");
    if (rate < 0) die("--rate must be >= 0 (0: as fast as possible)");

    char host[64];
    snprintf(host, sizeof host, "%s", dst_text);
    char *colon = strrchr(host, ':');
    if (!colon) die("--dst must be ADDRESS:PORT");
    *colon = 0;
    int dport = atoi(colon + 1);
    struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)dport) };
    if (dport < 1 || dport > 65535 || inet_pton(AF_INET, host, &dst.sin_addr) != 1) die("--dst must be an IPv4 address and a port");
    /* The safety rule of the harness: loopback only. */
    if ((ntohl(dst.sin_addr.s_addr) >> 24) != 127) die("refusing to send outside 127.0.0.0/8");

    /* The source table: `sources` distinct addresses of 127.0.0.0/8, none excluded. */
    uint32_t *src = malloc(sizeof(uint32_t) * (size_t)sources);
    if (!src) die("out of memory");
    long filled = 0;
    for (uint32_t i = (uint32_t)first; filled < sources && i < (1u << 24); i++) {
        uint32_t a = htonl(0x7F000000u | perm24(i, seed));
        if (!excluded(a)) src[filled++] = a;
    }
    if (filled < sources) die("not enough addresses left after the exclusions");

    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) { perror("sender: raw socket (root or CAP_NET_RAW needed)"); return 2; }
    int one = 1;
    if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof one) < 0) { perror("sender: IP_HDRINCL"); return 2; }
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof sndbuf);

    size_t pkt_len = sizeof(struct iphdr) + sizeof(struct udphdr) + (size_t)payload;
    static uint8_t pkts[MAX_BATCH][sizeof(struct iphdr) + sizeof(struct udphdr) + MAX_PAYLOAD];
    static struct mmsghdr msgs[MAX_BATCH];
    static struct iovec iov[MAX_BATCH];
    for (int b = 0; b < batch; b++) {
        struct iphdr *ip = (struct iphdr *)pkts[b];
        ip->version = 4;
        ip->ihl = 5;
        ip->ttl = 64;
        ip->protocol = IPPROTO_UDP;
        ip->tot_len = htons((uint16_t)pkt_len);
        ip->daddr = dst.sin_addr.s_addr;
        struct udphdr *udp = (struct udphdr *)(ip + 1);
        udp->dest = dst.sin_port;
        udp->len = htons((uint16_t)(sizeof(struct udphdr) + payload));
        uint8_t *body = (uint8_t *)(udp + 1);
        for (int k = 0; k < payload; k++) body[k] = (uint8_t)(0xA5 ^ k); /* not any flowshield magic */
        iov[b].iov_base = pkts[b];
        iov[b].iov_len = pkt_len;
        msgs[b].msg_hdr.msg_iov = &iov[b];
        msgs[b].msg_hdr.msg_iovlen = 1;
        msgs[b].msg_hdr.msg_name = &dst;
        msgs[b].msg_hdr.msg_namelen = sizeof dst;
    }

    rng_state ^= (uint64_t)seed * 0x100000001B3ull + (uint64_t)first;
    long long sent = 0, errors = 0;
    double start = now_s(), deadline = start + seconds, t = start;
    while (sent < count && t < deadline) {
        int n = batch;
        if (count - sent < n) n = (int)(count - sent);
        if (rate > 0) {
            /* Pace: the k-th packet is due at start + k / rate; send what is due, at most a batch. */
            long long due = (long long)((t - start) * rate) + 1 - sent;
            if (due <= 0) {
                double wait = (sent + 1) / rate - (t - start);
                struct timespec ts = { (time_t)wait, (long)((wait - (time_t)wait) * 1e9) };
                nanosleep(&ts, NULL);
                t = now_s();
                continue;
            }
            if (due < n) n = (int)due;
        }
        for (int b = 0; b < n; b++) {
            struct iphdr *ip = (struct iphdr *)pkts[b];
            struct udphdr *udp = (struct udphdr *)(ip + 1);
            long long j = sent + b;
            ip->saddr = src[j % sources];
            ip->id = htons((uint16_t)j);
            ip->check = 0;
            ip->check = htons(checksum(ip, sizeof *ip, 0));
            uint32_t r = fixed_ports ? (ip->saddr * 0x9E3779B1u) >> 8 : rng32();
            udp->source = htons((uint16_t)(1024 + r % (65536 - 1024)));
            udp->check = 0;
            /* UDP checksum over the pseudo-header, header and payload (valid, though IPv4 allows 0). */
            uint32_t pseudo = (ntohl(ip->saddr) >> 16) + (ntohl(ip->saddr) & 0xFFFF) + (ntohl(ip->daddr) >> 16) +
                              (ntohl(ip->daddr) & 0xFFFF) + IPPROTO_UDP + ntohs(udp->len);
            uint16_t c = checksum(udp, ntohs(udp->len), pseudo);
            udp->check = htons(c == 0 ? 0xFFFF : c);
        }
        int done = sendmmsg(fd, msgs, (unsigned)n, 0);
        if (done < 0) {
            if (errno != EINTR) errors++;
            if (errno == ENOBUFS || errno == EAGAIN) usleep(50);
            else if (errno != EINTR) { perror("sender: sendmmsg"); break; }
        } else {
            sent += done;
        }
        t = now_s();
    }
    double elapsed = now_s() - start;
    long long distinct = sent < sources ? sent : sources;
    printf("{\"sent\":%lld,\"seconds\":%.3f,\"rate\":%.0f,\"sources\":%ld,\"distinctSources\":%lld,\"payload\":%d,\"errors\":%lld}\n",
           sent, elapsed, elapsed > 0 ? sent / elapsed : 0.0, sources, distinct, payload, errors);
    close(fd);
    free(src);
    return 0;
}
