/*
 * udp_batch: the part of batched datagram I/O that Node's dgram cannot do (see ../README.md).
 * One UDP socket per handle: SO_REUSEPORT, large buffers, recvmmsg into slots of memory owned by
 * JS, sendmmsg from such memory, readiness through a uv_poll on the libuv loop. Nothing here
 * allocates per datagram or keeps a pointer into JS memory past a call (the memory may be a
 * WebAssembly.Memory that grows and moves between calls).
 *
 * Every argument is checked again here even though the TS layer checks first: a wrong offset must
 * become an exception with a code, never a write outside the buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>
#include <node_api.h>
#include <uv.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

/* Kernel cap on one recvmmsg/sendmmsg vector (UIO_MAXIOV); longer batches loop. */
#define CHUNK 1024
/* Metadata record: 8 u32 words = [offset, length, port, datagramLength, address(16 bytes)]. */
#define META_WORDS 8

/* Scratch vectors for one chunk. One per thread (N-API instance data), shared by that thread's
 * sockets: recv and send run to completion on the JS thread and never re-enter, so a socket costs
 * ~100 bytes, not ~130 KiB (the edge may hold one origin-facing socket per client flow). */
typedef struct {
  struct mmsghdr msgs[CHUNK];
  struct iovec iov[CHUNK];
  struct sockaddr_in6 addrs[CHUNK];
  /* SO_RXQ_OVFL: each datagram carries the socket's running count of drops for a full buffer. */
  char ctrl[CHUNK][CMSG_SPACE(sizeof(uint32_t))];
} scratch_t;

typedef struct {
  int fd;
  int family; /* AF_INET or AF_INET6 */
  int polling;
  int closing;
  int env_gone;
  int connected; /* sends go to the peer; records' addresses are ignored */
  napi_env env;
  napi_ref on_readable;
  napi_async_context async_ctx;
  uv_poll_t *poll;
  scratch_t *x; /* this thread's */
  /* Counters since open (doubles: JS numbers). */
  double received, truncated, sent, send_errors, would_block, peer_errors;
  uint32_t drops;
} sock_t;

static const napi_type_tag SOCK_TAG = {0x666c6f7773686965ULL, 0x6c64756470626174ULL};

/* ---- errors: every throw carries a stable code (the TS layer maps them to UdpBatchError) ---- */

static napi_value throw_code(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  napi_value code, message, error, num, sc;
  char text[160];
  snprintf(text, sizeof text, "%s failed: %s", syscall, strerror(err));
  napi_create_string_utf8(env, "FS_ERR_UDPBATCH_SYSCALL", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, err, &num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "errno", num);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

#define CHECK_NAPI(call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", #call " failed"); \
  } while (0)

/* ---- argument helpers ---- */

static napi_value *get_args(napi_env env, napi_callback_info info, napi_value *argv, size_t want) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) {
    throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "missing arguments");
    return NULL;
  }
  return argv;
}

static sock_t *get_sock(napi_env env, napi_value v, int must_be_open) {
  bool ok = false;
  void *data = NULL;
  if (napi_check_object_type_tag(env, v, &SOCK_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "not a udp-batch socket handle");
    return NULL;
  }
  sock_t *s = data;
  if (must_be_open && s->fd < 0) {
    throw_code(env, "FS_ERR_UDPBATCH_CLOSED", "socket is closed");
    return NULL;
  }
  return s;
}

/* A non-negative integer argument no larger than max, else throws. */
static int get_uint(napi_env env, napi_value v, double max, uint64_t *out, const char *what) {
  double d;
  char text[96];
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d > max || d != (double)(uint64_t)d) {
    snprintf(text, sizeof text, "%s must be an integer in [0, %.0f]", what, max);
    throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", text);
    return 0;
  }
  *out = (uint64_t)d;
  return 1;
}

/* Bytes of any typed array (over ArrayBuffer or SharedArrayBuffer). */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len, napi_typedarray_type want, int check_type) {
  bool is = false;
  napi_typedarray_type type;
  size_t length, offset;
  void *ptr;
  napi_value ab;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, &ab, &offset) != napi_ok) {
    throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "expected a typed array");
    return 0;
  }
  if (check_type && type != want) {
    throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", want == napi_uint32_array ? "expected a Uint32Array" : "expected a Uint8Array");
    return 0;
  }
  size_t elem;
  switch (type) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: elem = 1;
  }
  *data = ptr;
  *len = length * elem;
  return 1;
}

static void close_fd(sock_t *s) {
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

/* ---- open ---- */

/* The poll handle is malloc'd on its own and closed with libc's free as its close callback: when a
 * worker thread ends, Node unloads this addon before the loop runs close callbacks, so a callback
 * inside this file would be called after it is unmapped. (free(void *) called as a
 * uv_close_cb(uv_handle_t *) is the same call on every ABI Node runs on.) */
static void shut(sock_t *s);
static void on_env_exit(void *arg) {
  sock_t *s = arg;
  s->env_gone = 1; /* the hook is being run: shut() must not try to remove it */
  shut(s);
}

/* uv_close stops the poll synchronously, so the fd can be closed right after it: closing it
 * first would let libuv's epoll cleanup hit a reused fd number. */
static void shut(sock_t *s) {
  if (s->closing) return;
  s->closing = 1;
  s->polling = 0;
  if (!s->env_gone) napi_remove_env_cleanup_hook(s->env, on_env_exit, s);
  uv_close((uv_handle_t *)s->poll, (uv_close_cb)free);
  s->poll = NULL;
  close_fd(s);
}

static void finalize_sock(napi_env env, void *data, void *hint) {
  (void)hint;
  sock_t *s = data;
  if (s->on_readable) napi_delete_reference(env, s->on_readable);
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  s->on_readable = NULL;
  s->async_ctx = NULL;
  shut(s);
  free(s); /* the JS handle was the last thing pointing at it */
}

static int set_buf(int fd, int force_opt, int opt, uint64_t bytes) {
  int v = bytes > 0x7fffffff ? 0x7fffffff : (int)bytes;
  /* SO_*BUFFORCE passes net.core.[rw]mem_max when we hold CAP_NET_ADMIN; otherwise the kernel caps. */
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) == 0) return 0;
  return setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
}

static int get_buf(int fd, int opt) {
  int v = 0;
  socklen_t l = sizeof v;
  getsockopt(fd, SOL_SOCKET, opt, &v, &l);
  return v;
}

/* open(family 4|6, address Uint8Array(16), port, reusePort, ipv6Only, recvBuf, sendBuf) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, argv, 7)) return NULL;
  uint64_t family, port, rcv, snd;
  uint8_t *addr;
  size_t alen;
  bool reuse, v6only;
  if (!get_uint(env, argv[0], 6, &family, "family") || !get_bytes(env, argv[1], &addr, &alen, napi_uint8_array, 1) ||
      !get_uint(env, argv[2], 65535, &port, "port") || !get_uint(env, argv[5], 1 << 30, &rcv, "recvBufferSize") ||
      !get_uint(env, argv[6], 1 << 30, &snd, "sendBufferSize"))
    return NULL;
  CHECK_NAPI(napi_get_value_bool(env, argv[3], &reuse));
  CHECK_NAPI(napi_get_value_bool(env, argv[4], &v6only));
  if ((family != 4 && family != 6) || alen != 16) return throw_code(env, "FS_ERR_UDPBATCH_ADDRESS", "bad family or address");

  struct sockaddr_in6 sa6 = {0};
  struct sockaddr_in sa4 = {0};
  struct sockaddr *sa;
  socklen_t salen;
  if (family == 4) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, mapped, 12) != 0) return throw_code(env, "FS_ERR_UDPBATCH_ADDRESS", "udp4 needs an IPv4(-mapped) address");
    sa4.sin_family = AF_INET;
    sa4.sin_port = htons((uint16_t)port);
    memcpy(&sa4.sin_addr, addr + 12, 4);
    sa = (struct sockaddr *)&sa4;
    salen = sizeof sa4;
  } else {
    sa6.sin6_family = AF_INET6;
    sa6.sin6_port = htons((uint16_t)port);
    memcpy(&sa6.sin6_addr, addr, 16);
    sa = (struct sockaddr *)&sa6;
    salen = sizeof sa6;
  }

  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1, v6 = v6only ? 1 : 0;
  if (reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) goto fail_errno_reuse;
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one); /* best effort: only feeds stats().dropped */
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6) != 0) goto fail_errno_v6;
  if (rcv > 0 && set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, rcv) != 0) goto fail_errno_rcv;
  if (snd > 0 && set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, snd) != 0) goto fail_errno_snd;
  if (bind(fd, sa, salen) != 0) goto fail_errno_bind;

  sock_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, "calloc", ENOMEM);
  }
  if (napi_get_instance_data(env, (void **)&s->x) != napi_ok || s->x == NULL) {
    close(fd);
    free(s);
    return throw_code(env, "FS_ERR_UDPBATCH_SYSCALL", "no scratch buffers for this thread");
  }
  s->fd = fd;
  s->family = family == 4 ? AF_INET : AF_INET6;
  s->env = env;
  uv_loop_t *loop;
  s->poll = malloc(sizeof *s->poll);
  if (!s->poll || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, s->poll, fd) != 0) {
    close(fd);
    free(s->poll);
    free(s);
    return throw_code(env, "FS_ERR_UDPBATCH_SYSCALL", "uv_poll_init failed");
  }
  s->poll->data = s; /* a poll handle keeps the loop alive only while started (and ref'd) */
  napi_add_env_cleanup_hook(env, on_env_exit, s);
  napi_value handle;
  if (napi_create_external(env, s, finalize_sock, NULL, &handle) != napi_ok ||
      napi_type_tag_object(env, handle, &SOCK_TAG) != napi_ok) {
    shut(s);
    free(s);
    return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "napi_create_external failed");
  }
  return handle;

  int err;
  const char *what;
fail_errno_reuse: what = "setsockopt(SO_REUSEPORT)"; goto fail;
fail_errno_v6: what = "setsockopt(IPV6_V6ONLY)"; goto fail;
fail_errno_rcv: what = "setsockopt(SO_RCVBUF)"; goto fail;
fail_errno_snd: what = "setsockopt(SO_SNDBUF)"; goto fail;
fail_errno_bind: what = "bind"; goto fail;
fail:
  err = errno;
  close(fd);
  return throw_errno(env, what, err);
}

/* ---- addresses: 16 bytes, IPv4-mapped for v4, as the edge and libs/proto use them ---- */

static void put_addr(uint32_t *rec, const struct sockaddr_in6 *ss) {
  uint8_t *out = (uint8_t *)(rec + 4);
  if (ss->sin6_family == AF_INET) {
    const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
    memset(out, 0, 10);
    out[10] = 0xff;
    out[11] = 0xff;
    memcpy(out + 12, &a4->sin_addr, 4);
    rec[2] = ntohs(a4->sin_port);
  } else {
    memcpy(out, &ss->sin6_addr, 16);
    rec[2] = ntohs(ss->sin6_port);
  }
}

/* Errors the network reported later for datagrams sent earlier (ICMP on a connected socket):
 * delivered once, as a recv/send error or POLLERR; they say nothing about the current batch. */
static int is_peer_error(int err) {
  return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH || err == EHOSTDOWN ||
         err == ENETDOWN || err == EPROTO || err == ENOPROTOOPT || err == EMSGSIZE;
}

static void clear_error(sock_t *s) {
  int err = 0;
  socklen_t l = sizeof err;
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err != 0) s->peer_errors++;
}

/* recv(handle, bytes: TypedArray, offset, stride, slotSize, count, meta: Uint32Array) -> received */
static napi_value js_recv(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!get_args(env, info, argv, 7)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint8_t *mem, *metab;
  size_t memlen, metalen;
  uint64_t offset, stride, slot, count;
  if (!get_bytes(env, argv[1], &mem, &memlen, 0, 0) || !get_uint(env, argv[2], 4294967295.0, &offset, "offset") ||
      !get_uint(env, argv[3], 4294967295.0, &stride, "stride") || !get_uint(env, argv[4], 4294967295.0, &slot, "slotSize") ||
      !get_uint(env, argv[5], 1 << 20, &count, "count") || !get_bytes(env, argv[6], &metab, &metalen, napi_uint32_array, 1))
    return NULL;
  if (slot > stride) return throw_code(env, "FS_ERR_UDPBATCH_STRIDE", "slotSize is larger than stride");
  if (count > 0 && offset + (count - 1) * stride + slot > memlen)
    return throw_code(env, "FS_ERR_UDPBATCH_REGION", "slots run past the end of the memory");
  if (count * META_WORDS * 4 > metalen) return throw_code(env, "FS_ERR_UDPBATCH_META", "metadata array holds fewer records than count");
  uint32_t *meta = (uint32_t *)metab;
  scratch_t *x = s->x;

  uint64_t got = 0;
  while (got < count) {
    unsigned n = count - got > CHUNK ? CHUNK : (unsigned)(count - got);
    for (unsigned i = 0; i < n; i++) {
      x->iov[i].iov_base = mem + offset + (got + i) * stride;
      x->iov[i].iov_len = slot;
      memset(&x->msgs[i].msg_hdr, 0, sizeof x->msgs[i].msg_hdr);
      x->msgs[i].msg_hdr.msg_name = &x->addrs[i];
      x->msgs[i].msg_hdr.msg_namelen = sizeof x->addrs[i];
      x->msgs[i].msg_hdr.msg_iov = &x->iov[i];
      x->msgs[i].msg_hdr.msg_iovlen = 1;
      x->msgs[i].msg_hdr.msg_control = x->ctrl[i];
      x->msgs[i].msg_hdr.msg_controllen = sizeof x->ctrl[i];
    }
    /* MSG_TRUNC: msg_len is the datagram's real length, so truncation is measured, not guessed. */
    int r = recvmmsg(s->fd, x->msgs, n, MSG_DONTWAIT | MSG_TRUNC, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (is_peer_error(errno)) { /* cleared by being reported: count and read on */
        s->peer_errors++;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || got > 0) break;
      return throw_errno(env, "recvmmsg", errno);
    }
    for (int i = 0; i < r; i++) {
      uint32_t *rec = meta + (got + i) * META_WORDS;
      uint32_t full = x->msgs[i].msg_len;
      rec[0] = (uint32_t)(offset + (got + i) * stride);
      rec[1] = full > slot ? (uint32_t)slot : full;
      rec[3] = full;
      put_addr(rec, &x->addrs[i]);
      if (full > slot || (x->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) s->truncated++;
    }
    if (r > 0) {
      struct msghdr *last = &x->msgs[r - 1].msg_hdr;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(last); c; c = CMSG_NXTHDR(last, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&s->drops, CMSG_DATA(c), sizeof s->drops);
    }
    got += r;
    s->received += r;
    if ((unsigned)r < n) break; /* drained */
  }
  napi_value out;
  napi_create_double(env, (double)got, &out);
  return out;
}

/* Fills one sockaddr for record rec; 0 when the address does not fit the socket's family. */
static socklen_t get_dest(sock_t *s, const uint32_t *rec, struct sockaddr_in6 *out) {
  const uint8_t *a = (const uint8_t *)(rec + 4);
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (rec[2] > 65535) return 0;
  memset(out, 0, sizeof *out);
  if (s->family == AF_INET) {
    if (memcmp(a, mapped, 12) != 0) return 0;
    struct sockaddr_in *a4 = (struct sockaddr_in *)out;
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)rec[2]);
    memcpy(&a4->sin_addr, a + 12, 4);
    return sizeof *a4;
  }
  out->sin6_family = AF_INET6;
  out->sin6_port = htons((uint16_t)rec[2]);
  memcpy(&out->sin6_addr, a, 16);
  return sizeof *out;
}

/* send(handle, bytes: TypedArray, meta: Uint32Array, first, count) -> sent (stops early on EAGAIN) */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!get_args(env, info, argv, 5)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint8_t *mem, *metab;
  size_t memlen, metalen;
  uint64_t first, count;
  if (!get_bytes(env, argv[1], &mem, &memlen, 0, 0) || !get_bytes(env, argv[2], &metab, &metalen, napi_uint32_array, 1) ||
      !get_uint(env, argv[3], 1 << 26, &first, "first") || !get_uint(env, argv[4], 1 << 20, &count, "count"))
    return NULL;
  if ((first + count) * META_WORDS * 4 > metalen) return throw_code(env, "FS_ERR_UDPBATCH_META", "metadata array holds fewer records than first + count");
  const uint32_t *meta = (const uint32_t *)metab + first * META_WORDS;
  /* Check the whole batch before sending any of it: a bad record is a caller bug, not a partial send. */
  for (uint64_t i = 0; i < count; i++) {
    const uint32_t *rec = meta + i * META_WORDS;
    struct sockaddr_in6 tmp;
    if ((uint64_t)rec[0] + rec[1] > memlen) return throw_code(env, "FS_ERR_UDPBATCH_REGION", "a datagram runs past the end of the memory");
    if (!s->connected && get_dest(s, rec, &tmp) == 0) return throw_code(env, "FS_ERR_UDPBATCH_ADDRESS", "destination does not fit the socket's family (udp4 needs IPv4-mapped)");
  }
  scratch_t *x = s->x;
  uint64_t done = 0;
  int retried = 0;
  while (done < count) {
    unsigned n = count - done > CHUNK ? CHUNK : (unsigned)(count - done);
    for (unsigned i = 0; i < n; i++) {
      const uint32_t *rec = meta + (done + i) * META_WORDS;
      x->iov[i].iov_base = mem + rec[0];
      x->iov[i].iov_len = rec[1];
      memset(&x->msgs[i].msg_hdr, 0, sizeof x->msgs[i].msg_hdr);
      x->msgs[i].msg_hdr.msg_name = s->connected ? NULL : &x->addrs[i];
      x->msgs[i].msg_hdr.msg_namelen = s->connected ? 0 : get_dest(s, rec, &x->addrs[i]);
      x->msgs[i].msg_hdr.msg_iov = &x->iov[i];
      x->msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(s->fd, x->msgs, n, MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        s->would_block++;
        break; /* the caller sees sent < count and decides: drop (and count) or retry on the next batch */
      }
      /* A pending error from an earlier datagram is reported on this call (and cleared): retry. */
      if (errno == ECONNREFUSED && s->connected && !retried) {
        s->peer_errors++;
        retried = 1;
        continue;
      }
      /* This datagram alone failed (EMSGSIZE, EPERM from a firewall, ENETUNREACH, ...): skip it. */
      s->send_errors++;
      done++;
      continue;
    }
    s->sent += r;
    done += r;
    retried = 0;
  }
  /* Records handled from `first` (sent, or refused alone and counted in sendErrors); fewer than
   * count only when the socket buffer is full. */
  napi_value out;
  napi_create_double(env, (double)done, &out);
  return out;
}

/* ---- readiness: a uv_poll on the fd; JS is called when the socket is readable and drains it ---- */

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)events;
  sock_t *s = h->data;
  if (s->fd < 0 || s->on_readable == NULL) return;
  if (status < 0) {
    /* A pending socket error (ICMP unreachable for an earlier send on a connected socket): libuv
     * stops the poll on POLLERR. Read the error (which clears it), count it, and poll on. */
    clear_error(s);
    uv_poll_start(s->poll, UV_READABLE, on_poll);
    status = 0;
  }
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value fn, global, result, arg;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_get_reference_value(env, s->on_readable, &fn);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &arg); /* 0, or a negative libuv error (the socket is in error) */
  if (fn) {
    /* make_callback runs the microtask queue afterwards, as any libuv-driven callback in Node does. */
    napi_status st = napi_make_callback(env, s->async_ctx, global, fn, 1, &arg, &result);
    if (st == napi_pending_exception) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err); /* an exception in the handler is uncaught, like in any event */
    }
  }
  napi_close_handle_scope(env, scope);
}

/* startReadable(handle, fn): level-triggered; fn is called while unread datagrams remain. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  napi_valuetype t;
  CHECK_NAPI(napi_typeof(env, argv[1], &t));
  if (t != napi_function) return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "onReadable must be a function");
  if (s->on_readable) napi_delete_reference(env, s->on_readable);
  CHECK_NAPI(napi_create_reference(env, argv[1], 1, &s->on_readable));
  if (!s->async_ctx) {
    napi_value name;
    napi_create_string_utf8(env, "UDPBATCH", NAPI_AUTO_LENGTH, &name);
    CHECK_NAPI(napi_async_init(env, NULL, name, &s->async_ctx));
  }
  int r = uv_poll_start(s->poll, UV_READABLE, on_poll);
  if (r != 0) return throw_code(env, "FS_ERR_UDPBATCH_SYSCALL", uv_strerror(r));
  s->polling = 1;
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, argv, 1)) return NULL;
  sock_t *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  if (s->fd >= 0 && s->polling) uv_poll_stop(s->poll);
  s->polling = 0;
  if (s->on_readable) napi_delete_reference(env, s->on_readable);
  s->on_readable = NULL;
  return NULL;
}

/* ref/unref(handle, on): whether a started socket keeps the process alive (as dgram's ref()). */
static napi_value js_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return NULL;
  sock_t *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  bool on;
  CHECK_NAPI(napi_get_value_bool(env, argv[1], &on));
  if (s->closing) return NULL;
  if (on) uv_ref((uv_handle_t *)s->poll);
  else uv_unref((uv_handle_t *)s->poll);
  return NULL;
}

/* close(handle): idempotent; the port is free when it returns. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, argv, 1)) return NULL;
  sock_t *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  if (s->on_readable) napi_delete_reference(env, s->on_readable);
  s->on_readable = NULL;
  shut(s);
  return NULL;
}

/* connect(handle, address Uint8Array(16), port): the kernel then delivers only that peer's
 * datagrams to this socket (an origin-facing socket ignores spoofed "replies"). */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, argv, 3)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint8_t *addr;
  size_t len;
  uint64_t port;
  if (!get_bytes(env, argv[1], &addr, &len, napi_uint8_array, 1) || !get_uint(env, argv[2], 65535, &port, "port")) return NULL;
  if (len != 16) return throw_code(env, "FS_ERR_UDPBATCH_ADDRESS", "address must be 16 bytes");
  uint32_t rec[META_WORDS] = {0, 0, (uint32_t)port, 0};
  memcpy(rec + 4, addr, 16);
  struct sockaddr_in6 sa;
  socklen_t salen = get_dest(s, rec, &sa);
  if (salen == 0) return throw_code(env, "FS_ERR_UDPBATCH_ADDRESS", "peer does not fit the socket's family (udp4 needs IPv4-mapped)");
  if (connect(s->fd, (struct sockaddr *)&sa, salen) != 0) return throw_errno(env, "connect", errno);
  s->connected = 1;
  return NULL;
}

/* setBufferSize(handle, which 0=recv 1=send, bytes) -> granted; bytes 0 only reads. */
static napi_value js_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!get_args(env, info, argv, 3)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint64_t which, bytes;
  if (!get_uint(env, argv[1], 1, &which, "which") || !get_uint(env, argv[2], 1 << 30, &bytes, "bytes")) return NULL;
  if (bytes > 0 && set_buf(s->fd, which ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, which ? SO_SNDBUF : SO_RCVBUF, bytes) != 0)
    return throw_errno(env, which ? "setsockopt(SO_SNDBUF)" : "setsockopt(SO_RCVBUF)", errno);
  napi_value out;
  /* The kernel doubles the request for its bookkeeping and reports the doubled figure. */
  napi_create_int32(env, get_buf(s->fd, which ? SO_SNDBUF : SO_RCVBUF), &out);
  return out;
}

/* localAddress(handle, out Uint8Array(16)) -> port */
static napi_value js_local(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint8_t *out;
  size_t len;
  if (!get_bytes(env, argv[1], &out, &len, napi_uint8_array, 1)) return NULL;
  if (len != 16) return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "address buffer must be 16 bytes");
  struct sockaddr_in6 ss;
  socklen_t l = sizeof ss;
  if (getsockname(s->fd, (struct sockaddr *)&ss, &l) != 0) return throw_errno(env, "getsockname", errno);
  uint32_t rec[META_WORDS];
  put_addr(rec, &ss);
  memcpy(out, rec + 4, 16);
  napi_value port;
  napi_create_uint32(env, rec[2], &port);
  return port;
}

/* stats(handle, out Float64Array(7)): received, truncated, sent, sendErrors, wouldBlock, dropped, peerErrors
 * (dropped: the kernel's count, as of the last datagram read, of datagrams lost to a full buffer) */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return NULL;
  sock_t *s = get_sock(env, argv[0], 0);
  if (!s) return NULL;
  bool is = false;
  napi_typedarray_type type;
  size_t length;
  void *ptr;
  if (napi_is_typedarray(env, argv[1], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_float64_array || length < 7)
    return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "expected a Float64Array(7)");
  double *o = ptr;
  o[0] = s->received;
  o[1] = s->truncated;
  o[2] = s->sent;
  o[3] = s->send_errors;
  o[4] = s->would_block;
  o[5] = s->drops;
  o[6] = s->peer_errors;
  return NULL;
}

/* attachReusePortCbpf(handle, program Uint8Array of struct sock_filter): the classic BPF program
 * returns, per datagram, the index of the socket in this SO_REUSEPORT group that receives it (an
 * index past the group falls back to the kernel's hash). */
static napi_value js_cbpf(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!get_args(env, info, argv, 2)) return NULL;
  sock_t *s = get_sock(env, argv[0], 1);
  if (!s) return NULL;
  uint8_t *prog;
  size_t len;
  if (!get_bytes(env, argv[1], &prog, &len, napi_uint8_array, 1)) return NULL;
  if (len == 0 || len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    return throw_code(env, "FS_ERR_UDPBATCH_ARGUMENT", "program must be 1..4096 instructions of 8 bytes");
  struct sock_fprog fprog = {.len = (unsigned short)(len / sizeof(struct sock_filter)), .filter = (struct sock_filter *)prog};
  if (setsockopt(s->fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, sizeof fprog) != 0)
    return throw_errno(env, "setsockopt(SO_ATTACH_REUSEPORT_CBPF)", errno);
  return NULL;
}

static void free_scratch(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

NAPI_MODULE_INIT() {
  void *have = NULL;
  napi_get_instance_data(env, &have); /* loaded twice in one thread: keep the sockets' scratch */
  scratch_t *x = have ? NULL : calloc(1, sizeof *x);
  if (!have && (!x || napi_set_instance_data(env, x, free_scratch, NULL) != napi_ok)) {
    free(x);
    napi_throw_error(env, "FS_ERR_UDPBATCH_SYSCALL", "cannot allocate scratch buffers");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"recv", NULL, js_recv, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_default, NULL},
      {"startReadable", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"stopReadable", NULL, js_stop, NULL, NULL, NULL, napi_default, NULL},
      {"ref", NULL, js_ref, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, js_connect, NULL, NULL, NULL, napi_default, NULL},
      {"bufferSize", NULL, js_buffer, NULL, NULL, NULL, napi_default, NULL},
      {"localAddress", NULL, js_local, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"attachReusePortCbpf", NULL, js_cbpf, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
