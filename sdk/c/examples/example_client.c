/*
 * A game client on the blocking layer: connects through an edge, sends five game packets at once
 * (held while the challenge is solved, then delivered in order, the first inside the answer),
 * prints the challenge, the answer and the server's replies. Exit 0 once all five were echoed.
 *   example-client HOST PORT [PACKETS] [LOCAL_ADDRESS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flowshield_socket.h"

int main(int argc, char **argv) {
  fs_client_config cfg;
  fs_client_stats st;
  fs_conn *conn;
  char packet[64], reply[1500];
  int i, r, packets, replies = 0;
  uint32_t seen_challenges = 0, seen_solved = 0;
  uint64_t deadline;
  if (argc < 3) {
    fprintf(stderr, "usage: %s HOST PORT [PACKETS] [LOCAL_ADDRESS]\n", argv[0]);
    return 2;
  }
  packets = argc > 3 ? atoi(argv[3]) : 5;
  if (packets < 1) packets = 1;
  fs_client_config_default(&cfg);
  cfg.hold_after_hello_ms = 500; /* as sdk/client/examples/client.mjs */
  r = fs_conn_open(argv[1], (uint16_t)atoi(argv[2]), argc > 4 ? argv[4] : NULL, &cfg, &conn);
  if (r != FS_OK) {
    fprintf(stderr, "connect: %s\n", fs_strerror(r));
    return 1;
  }
  for (i = 1; i <= packets; i++) {
    snprintf(packet, sizeof packet, "move %d", i);
    if ((r = fs_conn_send(conn, packet, strlen(packet))) != FS_OK) fprintf(stderr, "send: %s\n", fs_strerror(r));
  }
  deadline = fs_monotonic_ms() + 15000;
  while (replies < packets && fs_monotonic_ms() < deadline) {
    r = fs_conn_recv(conn, reply, sizeof reply - 1, 100);
    fs_client_get_stats(fs_conn_client(conn), &st);
    if (st.challenges != seen_challenges) {
      seen_challenges = st.challenges;
      printf("challenge: %u x %u bits\n", st.last_sub_puzzles, st.last_difficulty);
    }
    if (st.solved != seen_solved) {
      seen_solved = st.solved;
      printf("answered after %llu hashes\n", (unsigned long long)st.last_solve_tries);
    }
    if (r < 0) {
      fprintf(stderr, "error: %s\n", fs_strerror(r));
      continue;
    }
    if (r == 0) continue;
    reply[r] = '\0';
    printf("server: %s\n", reply);
    replies++;
  }
  fflush(stdout);
  fs_conn_close(conn);
  if (replies < packets) {
    fprintf(stderr, "only %d of %d replies in 15 s\n", replies, packets);
    return 1;
  }
  return 0;
}
