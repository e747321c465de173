/*
 * relay.c — the baseline of bench/flood: a bare UDP relay with batched I/O and no program, the
 * ceiling the edge is measured against. Clients send to the listen socket; each datagram goes to
 * the origin; the origin's replies go back to the client that caused them.
 *
 *   relay --origin 127.0.0.1:PORT [--listen 127.0.0.1:0] [--sessions 1048576] [--workers 1]
 *         [--batch 64] [--rcvbuf 8388608] [--sink 1]
 *
 * With --sink 1 it only reads and counts (no session, nothing forwarded): the ceiling of batched
 * reading alone, which is what the edge does with a flood it drops.
 *
 * I/O: recvmmsg/sendmmsg in batches; with --workers N, N threads each own a listen socket on the
 * same port (SO_REUSEPORT: the kernel spreads sources over them), an origin socket and a session
 * table. Socket buffers are asked for like the edge asks for them (SO_RCVBUF, capped by
 * net.core.rmem_max), so both see the same kernel queue.
 *
 * Sessions: a client (address, port) gets a session index; the table is bounded (--sessions in
 * total, least recently seen evicted first, O(1) insert, lookup and eviction: a hash of chained
 * indices plus an LRU list of indices, all preallocated, ~28 bytes per session). A million
 * sessions cannot each have their own socket, so the origin side is told apart by *source
 * address*: session i of a worker sends to the origin from 127.64.0.0/10 + i (IP_PKTINFO on an
 * unbound-address socket; every 127/8 address is local on Linux), and the destination address of
 * a reply (IP_PKTINFO again) names the session to relay it to. One origin socket per worker, no
 * per-session file descriptor, no lookup on the reply path.
 *
 * Output: first line {"port": P}; on SIGUSR1 and at SIGTERM/SIGINT one JSON line of counters:
 * {"clientIn", "originOut", "originIn", "clientOut", "sessions", "created", "evicted", "errors", "foreign"}.
 *
 * Build: cc -O2 -pthread -o relay relay.c  (libc only)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 256
#define BUF_SIZE 2048
#define MAX_WORKERS 16
#define SESSION_NET 0x7F400000u /* 127.64.0.0/10: origin-side source addresses, one per session */
#define SESSION_BITS 22

static void die(const char *msg) {
    fprintf(stderr, "relay: %s\n", msg);
    exit(2);
}

struct session {
    uint32_t ip;    /* client address, network order */
    uint16_t port;  /* client port, network order */
    uint8_t used;
    int32_t hnext;  /* next index in the hash bucket */
    int32_t prev, next; /* LRU list: head = most recently seen */
};

struct stats { uint64_t clientIn, originOut, originIn, clientOut, created, evicted, errors, foreign; };

struct worker {
    int id, listen_fd, origin_fd;
    struct sockaddr_in origin;
    struct session *s;
    int32_t *buckets;
    uint32_t cap, mask, used, free_next;
    int32_t head, tail;
    struct stats st;
    pthread_t thread;
};

static int n_workers = 1, batch = 64, sink = 0;
static struct worker workers[MAX_WORKERS];

static uint32_t hash(uint32_t ip, uint16_t port) {
    uint64_t h = ((uint64_t)ip << 16 | port) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32);
}

static void lru_unlink(struct worker *w, int32_t i) {
    struct session *s = &w->s[i];
    if (s->prev >= 0) w->s[s->prev].next = s->next; else w->head = s->next;
    if (s->next >= 0) w->s[s->next].prev = s->prev; else w->tail = s->prev;
}

static void lru_push_head(struct worker *w, int32_t i) {
    struct session *s = &w->s[i];
    s->prev = -1;
    s->next = w->head;
    if (w->head >= 0) w->s[w->head].prev = i;
    w->head = i;
    if (w->tail < 0) w->tail = i;
}

/* The session of a client, created (evicting the least recently seen when full) if new. */
static int32_t session_of(struct worker *w, uint32_t ip, uint16_t port) {
    uint32_t b = hash(ip, port) & w->mask;
    for (int32_t i = w->buckets[b]; i >= 0; i = w->s[i].hnext) {
        if (w->s[i].ip == ip && w->s[i].port == port) {
            if (w->head != i) { lru_unlink(w, i); lru_push_head(w, i); }
            return i;
        }
    }
    int32_t i;
    if (w->free_next < w->cap) {
        i = (int32_t)w->free_next++;
        w->used++;
    } else {
        i = w->tail; /* evict: unlink from the LRU list and from its bucket chain */
        lru_unlink(w, i);
        uint32_t ob = hash(w->s[i].ip, w->s[i].port) & w->mask;
        int32_t *link = &w->buckets[ob];
        while (*link != i) link = &w->s[*link].hnext;
        *link = w->s[i].hnext;
        w->st.evicted++;
    }
    w->s[i] = (struct session){ .ip = ip, .port = port, .used = 1, .hnext = w->buckets[b] };
    w->buckets[b] = i;
    lru_push_head(w, i);
    w->st.created++;
    return i;
}

static void send_all(int fd, struct mmsghdr *msgs, int n, struct stats *st, uint64_t *counter) {
    int off = 0;
    while (off < n) {
        int done = sendmmsg(fd, msgs + off, (unsigned)(n - off), MSG_DONTWAIT);
        if (done < 0) {
            if (errno == EINTR) continue;
            st->errors++;
            off++; /* skip the datagram the kernel refused (full buffer, unreachable): UDP may lose it */
            continue;
        }
        *counter += (uint64_t)done;
        off += done;
    }
}

static void *run(void *arg) {
    struct worker *w = arg;
    static __thread uint8_t bufs[MAX_BATCH][BUF_SIZE];
    static __thread uint8_t ctrl[MAX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    static __thread struct sockaddr_in names[MAX_BATCH];
    static __thread struct mmsghdr in[MAX_BATCH], out[MAX_BATCH];
    static __thread struct iovec iov[MAX_BATCH], oiov[MAX_BATCH];
    static __thread uint8_t octrl[MAX_BATCH][CMSG_SPACE(sizeof(struct in_pktinfo))];
    static __thread struct sockaddr_in onames[MAX_BATCH];
    struct pollfd pfd[2] = { { .fd = w->listen_fd, .events = POLLIN }, { .fd = w->origin_fd, .events = POLLIN } };
    for (;;) {
        if (poll(pfd, 2, 200) < 0 && errno != EINTR) die("poll failed");
        /* Clients → origin, at most a few batches before looking at the other socket. */
        for (int round = 0; round < 4; round++) {
            for (int k = 0; k < batch; k++) {
                iov[k] = (struct iovec){ bufs[k], BUF_SIZE };
                in[k].msg_hdr = (struct msghdr){ .msg_name = &names[k], .msg_namelen = sizeof names[k], .msg_iov = &iov[k], .msg_iovlen = 1 };
            }
            int n = recvmmsg(w->listen_fd, in, (unsigned)batch, MSG_DONTWAIT, NULL);
            if (n <= 0) break;
            w->st.clientIn += (uint64_t)n;
            if (sink) { if (n < batch) break; continue; }
            for (int k = 0; k < n; k++) {
                int32_t i = session_of(w, names[k].sin_addr.s_addr, names[k].sin_port);
                oiov[k] = (struct iovec){ bufs[k], in[k].msg_len };
                out[k].msg_hdr = (struct msghdr){ .msg_name = &w->origin, .msg_namelen = sizeof w->origin, .msg_iov = &oiov[k], .msg_iovlen = 1,
                                                   .msg_control = octrl[k], .msg_controllen = sizeof octrl[k] };
                struct cmsghdr *c = CMSG_FIRSTHDR(&out[k].msg_hdr);
                c->cmsg_level = IPPROTO_IP;
                c->cmsg_type = IP_PKTINFO;
                c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
                struct in_pktinfo *pi = (struct in_pktinfo *)CMSG_DATA(c);
                memset(pi, 0, sizeof *pi);
                pi->ipi_spec_dst.s_addr = htonl(SESSION_NET | (uint32_t)i);
            }
            send_all(w->origin_fd, out, n, &w->st, &w->st.originOut);
            if (n < batch) break;
        }
        /* Origin → clients: the reply's destination address names the session. */
        for (int round = 0; round < 4; round++) {
            for (int k = 0; k < batch; k++) {
                iov[k] = (struct iovec){ bufs[k], BUF_SIZE };
                in[k].msg_hdr = (struct msghdr){ .msg_name = &names[k], .msg_namelen = sizeof names[k], .msg_iov = &iov[k], .msg_iovlen = 1,
                                                  .msg_control = ctrl[k], .msg_controllen = sizeof ctrl[k] };
            }
            int n = recvmmsg(w->origin_fd, in, (unsigned)batch, MSG_DONTWAIT, NULL);
            if (n <= 0) break;
            w->st.originIn += (uint64_t)n;
            int m = 0;
            for (int k = 0; k < n; k++) {
                uint32_t to = 0;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&in[k].msg_hdr); c; c = CMSG_NXTHDR(&in[k].msg_hdr, c))
                    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) to = ntohl(((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr);
                uint32_t i = to - SESSION_NET;
                if (names[k].sin_addr.s_addr != w->origin.sin_addr.s_addr || names[k].sin_port != w->origin.sin_port ||
                    (to >> SESSION_BITS) != (SESSION_NET >> SESSION_BITS) || i >= w->cap || !w->s[i].used) {
                    w->st.foreign++;
                    continue;
                }
                onames[m] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr.s_addr = w->s[i].ip, .sin_port = w->s[i].port };
                oiov[m] = (struct iovec){ bufs[k], in[k].msg_len };
                out[m].msg_hdr = (struct msghdr){ .msg_name = &onames[m], .msg_namelen = sizeof onames[m], .msg_iov = &oiov[m], .msg_iovlen = 1 };
                m++;
            }
            send_all(w->listen_fd, out, m, &w->st, &w->st.clientOut);
            if (n < batch) break;
        }
    }
    return NULL;
}

static void parse_addr(const char *text, struct sockaddr_in *out) {
    char host[64];
    snprintf(host, sizeof host, "%s", text);
    char *colon = strrchr(host, ':');
    if (!colon) die("addresses are ADDRESS:PORT");
    *colon = 0;
    *out = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
    if (inet_pton(AF_INET, host, &out->sin_addr) != 1) die("addresses must be IPv4");
}

static void print_stats(void) {
    struct stats t = { 0 };
    uint64_t sessions = 0;
    for (int k = 0; k < n_workers; k++) {
        struct stats *s = &workers[k].st;
        t.clientIn += __atomic_load_n(&s->clientIn, __ATOMIC_RELAXED);
        t.originOut += __atomic_load_n(&s->originOut, __ATOMIC_RELAXED);
        t.originIn += __atomic_load_n(&s->originIn, __ATOMIC_RELAXED);
        t.clientOut += __atomic_load_n(&s->clientOut, __ATOMIC_RELAXED);
        t.created += __atomic_load_n(&s->created, __ATOMIC_RELAXED);
        t.evicted += __atomic_load_n(&s->evicted, __ATOMIC_RELAXED);
        t.errors += __atomic_load_n(&s->errors, __ATOMIC_RELAXED);
        t.foreign += __atomic_load_n(&s->foreign, __ATOMIC_RELAXED);
        sessions += __atomic_load_n(&workers[k].used, __ATOMIC_RELAXED);
    }
    printf("{\"clientIn\":%lu,\"originOut\":%lu,\"originIn\":%lu,\"clientOut\":%lu,\"sessions\":%lu,\"created\":%lu,\"evicted\":%lu,\"errors\":%lu,\"foreign\":%lu}\n",
           t.clientIn, t.originOut, t.originIn, t.clientOut, sessions, t.created, t.evicted, t.errors, t.foreign);
    fflush(stdout);
}

int main(int argc, char **argv) {
    struct sockaddr_in listen_addr, origin;
    parse_addr("127.0.0.1:0", &listen_addr);
    int have_origin = 0;
    long sessions = 1 << 20, rcvbuf = 8 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--origin")) { parse_addr(argv[i + 1], &origin); have_origin = 1; }
        else if (!strcmp(argv[i], "--listen")) parse_addr(argv[i + 1], &listen_addr);
        else if (!strcmp(argv[i], "--sessions")) sessions = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--workers")) n_workers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch")) batch = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rcvbuf")) rcvbuf = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--sink")) sink = atoi(argv[i + 1]);
        else die("unknown option (see the comment at the top of relay.c)");
    }
    if (!have_origin) die("--origin ADDRESS:PORT is required");
    if (n_workers < 1 || n_workers > MAX_WORKERS) die("--workers must be 1..16");
    if (batch < 1 || batch > MAX_BATCH) die("--batch must be 1..256");
    if (sessions < n_workers || sessions / n_workers > (1L << SESSION_BITS)) die("--sessions must be workers..4194304 per worker");

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGUSR1);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* workers inherit the mask; main takes them with sigwait */

    int one = 1;
    for (int k = 0; k < n_workers; k++) {
        struct worker *w = &workers[k];
        w->id = k;
        w->origin = origin;
        w->listen_fd = socket(AF_INET, SOCK_DGRAM, 0);
        setsockopt(w->listen_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        int size = (int)rcvbuf;
        setsockopt(w->listen_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        setsockopt(w->listen_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        if (bind(w->listen_fd, (struct sockaddr *)&listen_addr, sizeof listen_addr) < 0) { perror("relay: bind listen"); return 1; }
        if (k == 0) { /* port 0: the others join the port the first one got */
            socklen_t len = sizeof listen_addr;
            getsockname(w->listen_fd, (struct sockaddr *)&listen_addr, &len);
        }
        w->origin_fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
        setsockopt(w->origin_fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        setsockopt(w->origin_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        setsockopt(w->origin_fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        if (bind(w->origin_fd, (struct sockaddr *)&any, sizeof any) < 0) { perror("relay: bind origin side"); return 1; }
        w->cap = (uint32_t)(sessions / n_workers);
        uint32_t nb = 1;
        while (nb < w->cap * 2) nb <<= 1;
        w->mask = nb - 1;
        w->s = calloc(w->cap, sizeof *w->s);
        w->buckets = malloc(sizeof(int32_t) * nb);
        if (!w->s || !w->buckets) die("out of memory for the session table");
        memset(w->buckets, 0xFF, sizeof(int32_t) * nb);
        w->head = w->tail = -1;
    }
    printf("{\"port\":%d}\n", ntohs(listen_addr.sin_port));
    fflush(stdout);
    for (int k = 0; k < n_workers; k++) pthread_create(&workers[k].thread, NULL, run, &workers[k]);
    for (;;) {
        int sig = 0;
        sigwait(&sigs, &sig);
        print_stats();
        if (sig != SIGUSR1) return 0;
    }
}
