/*
 * flowshield_socket.h — a small blocking layer over BSD sockets, for tools, tests and simple
 * clients (games should drive fs_client from their own loop and socket instead). It owns one
 * connected UDP socket and one fs_client, solves challenges inline between polls, and hands back
 * only the game's datagrams. Not thread-safe: one thread per fs_conn. Memory: allocated in
 * fs_conn_open, freed in fs_conn_close.
 */
#ifndef FLOWSHIELD_SOCKET_H
#define FLOWSHIELD_SOCKET_H
#include "flowshield.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fs_conn fs_conn;

/** Milliseconds of a monotonic clock (CLOCK_MONOTONIC). */
FS_API uint64_t fs_monotonic_ms(void);

/**
 * Resolves host, opens a UDP socket connected to host:port (bound to local_address if not NULL),
 * creates the client (cfg NULL: defaults), and sends the hello or token. FS_ERR_SYSTEM: see errno.
 */
FS_API int fs_conn_open(const char *host, uint16_t port, const char *local_address, const fs_client_config *cfg,
                        fs_conn **out);
/** Hands a game packet to the client and sends whatever may go now. */
FS_API int fs_conn_send(fs_conn *conn, const void *data, size_t len);
/**
 * Runs the protocol (receives, solves, sends) until a game datagram arrives or timeout_ms pass.
 * Returns its length (copied to buf), 0 on timeout, or an error (FS_ERR_BUFFER_TOO_SMALL: the
 * datagram did not fit and is lost).
 */
FS_API int fs_conn_recv(fs_conn *conn, void *buf, size_t cap, int timeout_ms);
FS_API fs_client *fs_conn_client(fs_conn *conn);
FS_API int fs_conn_fd(const fs_conn *conn);
FS_API void fs_conn_close(fs_conn *conn);

#ifdef __cplusplus
}
#endif
#endif
