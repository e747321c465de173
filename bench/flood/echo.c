/*
 * echo.c — the game server of bench/flood: echoes every datagram to its sender, in batches
 * (recvmmsg/sendmmsg), so the origin is never what limits the relay or the edge it sits behind.
 *
 *   echo [--listen 127.0.0.1:0] [--rcvbuf 8388608]
 *
 * Prints {"port": P} once bound; on SIGUSR1 and at SIGTERM {"in", "out", "errors"}.
 * Build: cc -O2 -o echo echo.c  (libc only)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define BUF_SIZE 2048

static volatile sig_atomic_t report, stop;
static void on_signal(int sig) { if (sig == SIGUSR1) report = 1; else stop = 1; }

int main(int argc, char **argv) {
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int rcvbuf = 8 << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--listen")) {
            char host[64];
            snprintf(host, sizeof host, "%s", argv[i + 1]);
            char *colon = strrchr(host, ':');
            if (!colon) { fprintf(stderr, "echo: --listen ADDRESS:PORT\n"); return 2; }
            *colon = 0;
            addr.sin_port = htons((uint16_t)atoi(colon + 1));
            if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "echo: IPv4 only\n"); return 2; }
        } else if (!strcmp(argv[i], "--rcvbuf")) rcvbuf = atoi(argv[i + 1]);
        else { fprintf(stderr, "echo: unknown option %s\n", argv[i]); return 2; }
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("echo: bind"); return 1; }
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("{\"port\":%d}\n", ntohs(addr.sin_port));
    fflush(stdout);

    static uint8_t bufs[BATCH][BUF_SIZE];
    static struct sockaddr_in names[BATCH];
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    uint64_t in = 0, out = 0, errors = 0;
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    while (!stop) {
        if (report) {
            report = 0;
            printf("{\"in\":%lu,\"out\":%lu,\"errors\":%lu}\n", in, out, errors);
            fflush(stdout);
        }
        if (poll(&pfd, 1, 200) <= 0) continue;
        for (int k = 0; k < BATCH; k++) {
            iov[k] = (struct iovec){ bufs[k], BUF_SIZE };
            msgs[k].msg_hdr = (struct msghdr){ .msg_name = &names[k], .msg_namelen = sizeof names[k], .msg_iov = &iov[k], .msg_iovlen = 1 };
        }
        int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) continue;
        in += (uint64_t)n;
        for (int k = 0; k < n; k++) iov[k].iov_len = msgs[k].msg_len; /* the reply is the datagram itself */
        for (int off = 0; off < n;) {
            int done = sendmmsg(fd, msgs + off, (unsigned)(n - off), MSG_DONTWAIT);
            if (done < 0) { if (errno != EINTR) { errors++; off++; } continue; }
            out += (uint64_t)done;
            off += done;
        }
    }
    printf("{\"in\":%lu,\"out\":%lu,\"errors\":%lu}\n", in, out, errors);
    return 0;
}
