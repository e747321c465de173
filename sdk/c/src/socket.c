/* The blocking convenience layer: one connected UDP socket driving one fs_client. */
#if !defined(_POSIX_C_SOURCE) || _POSIX_C_SOURCE < 200112L
#undef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200112L
#endif
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include "flowshield_socket.h"

/* Hashes per slice between two polls: a few milliseconds, so replies are not kept waiting. */
#define SOLVE_SLICE 16384
#define RECV_SIZE 65536

struct fs_conn {
  int fd;
  fs_client *client;
  size_t out_cap;
  uint8_t *out;
  uint8_t *in;
};

uint64_t fs_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int open_socket(const char *host, uint16_t port, const char *local_address) {
  struct addrinfo hints, *res = NULL, *ai;
  char service[8];
  int fd = -1;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_family = AF_UNSPEC;
  snprintf(service, sizeof service, "%u", (unsigned)port);
  if (getaddrinfo(host, service, &hints, &res) != 0) { errno = EHOSTUNREACH; return -1; }
  for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    if (local_address != NULL) {
      struct addrinfo lh, *local = NULL;
      memset(&lh, 0, sizeof lh);
      lh.ai_family = ai->ai_family;
      lh.ai_socktype = SOCK_DGRAM;
      lh.ai_flags = AI_PASSIVE;
      if (getaddrinfo(local_address, "0", &lh, &local) != 0 || bind(fd, local->ai_addr, local->ai_addrlen) != 0) {
        if (local) freeaddrinfo(local);
        close(fd);
        fd = -1;
        continue;
      }
      freeaddrinfo(local);
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) { close(fd); fd = -1; }
  }
  freeaddrinfo(res);
  return fd;
}

/* Sends all the client has for now. Send errors (ICMP unreachable from an earlier datagram) are
 * not fatal over UDP: the protocol recovers by being challenged again. */
static int flush(fs_conn *conn) {
  int n;
  while ((n = fs_client_next_datagram(conn->client, conn->out, conn->out_cap, fs_monotonic_ms())) > 0)
    (void)send(conn->fd, conn->out, (size_t)n, 0);
  return n < 0 ? n : FS_OK;
}

int fs_conn_open(const char *host, uint16_t port, const char *local_address, const fs_client_config *cfg, fs_conn **out) {
  fs_client_config defaults;
  fs_conn *conn;
  int r;
  if (host == NULL || out == NULL) return FS_ERR_ARGUMENT;
  *out = NULL;
  if (cfg == NULL) {
    fs_client_config_default(&defaults);
    cfg = &defaults;
  }
  conn = (fs_conn *)calloc(1, sizeof *conn);
  if (conn == NULL) return FS_ERR_MEMORY;
  conn->out_cap = cfg->max_packet_size > cfg->max_answer_datagram ? cfg->max_packet_size : cfg->max_answer_datagram;
  if (conn->out_cap < FS_TOKEN_SIZE + FS_MAX_ANSWER_SIZE) conn->out_cap = FS_TOKEN_SIZE + FS_MAX_ANSWER_SIZE;
  conn->out = (uint8_t *)malloc(conn->out_cap);
  conn->in = (uint8_t *)malloc(RECV_SIZE);
  conn->fd = -1;
  if (conn->out == NULL || conn->in == NULL) { fs_conn_close(conn); return FS_ERR_MEMORY; }
  if ((r = fs_client_create(cfg, &conn->client)) != FS_OK) { fs_conn_close(conn); return r; }
  conn->fd = open_socket(host, port, local_address);
  if (conn->fd < 0) { fs_conn_close(conn); return FS_ERR_SYSTEM; }
  if ((r = fs_client_start(conn->client, fs_monotonic_ms())) != FS_OK || (r = flush(conn)) != FS_OK) {
    fs_conn_close(conn);
    return r;
  }
  *out = conn;
  return FS_OK;
}

int fs_conn_send(fs_conn *conn, const void *data, size_t len) {
  int r;
  if (conn == NULL) return FS_ERR_ARGUMENT;
  r = fs_client_send(conn->client, (const uint8_t *)data, len, fs_monotonic_ms());
  if (r != FS_OK) return r;
  return flush(conn);
}

int fs_conn_recv(fs_conn *conn, void *buf, size_t cap, int timeout_ms) {
  uint64_t deadline;
  if (conn == NULL || (buf == NULL && cap > 0)) return FS_ERR_ARGUMENT;
  deadline = fs_monotonic_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    struct pollfd p;
    uint64_t now;
    int64_t wait, next;
    ssize_t n;
    int r;
    if ((r = flush(conn)) != FS_OK) return r;
    now = fs_monotonic_ms();
    if (fs_client_solving(conn->client)) {
      r = fs_client_solve_step(conn->client, SOLVE_SLICE);
      if (r < 0) return r;
      wait = 0;
    } else {
      if (now >= deadline) return 0;
      wait = (int64_t)(deadline - now);
      next = fs_client_next_timeout(conn->client, now);
      if (next >= 0 && next < wait) wait = next;
    }
    p.fd = conn->fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, (int)wait) < 0) {
      if (errno == EINTR) continue;
      return FS_ERR_SYSTEM;
    }
    if (!(p.revents & (POLLIN | POLLERR))) continue;
    n = recv(conn->fd, conn->in, RECV_SIZE, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNREFUSED || errno == EWOULDBLOCK) continue;
      return FS_ERR_SYSTEM;
    }
    if (n == 0) continue; /* edges never send empty datagrams; 0 means "timeout" here */
    r = fs_client_on_datagram(conn->client, conn->in, (size_t)n, fs_monotonic_ms());
    if (r == FS_DATAGRAM_GAME || r < 0) {
      /* Game data (a datagram starting "FSCH" that is no challenge is game data too). */
      if (r < 0 && (r == FS_ERR_CHALLENGE_TOO_HARD || r == FS_ERR_ARGUMENT)) continue;
      if ((size_t)n > cap) return FS_ERR_BUFFER_TOO_SMALL;
      if (n > 0) memcpy(buf, conn->in, (size_t)n);
      return (int)n;
    }
  }
}

fs_client *fs_conn_client(fs_conn *conn) { return conn ? conn->client : NULL; }
int fs_conn_fd(const fs_conn *conn) { return conn ? conn->fd : -1; }

void fs_conn_close(fs_conn *conn) {
  if (conn == NULL) return;
  if (conn->fd >= 0) close(conn->fd);
  fs_client_destroy(conn->client);
  free(conn->out);
  free(conn->in);
  free(conn);
}
