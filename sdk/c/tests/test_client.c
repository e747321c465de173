/*
 * The client state machine against the Node SDK's documented behaviour (sdk/client/README.md):
 * hello first, hold after hello, answer carrying the first held packet, the rest in order, resend
 * window, late duplicates ignored, max_work_bits, queue limits, tokens, caller memory, jobs and the
 * solving thread. Challenges are made here (the client never checks a tag, so any key will do).
 */
#include <time.h>
#include "flowshield.h"
#include "flowshield_thread.h"
#include "testing.h"

static uint8_t out[2048];

static void make_challenge(uint8_t b[FS_CHALLENGE_SIZE], uint32_t issued_at, uint8_t difficulty, uint8_t sub) {
  uint8_t mac[32];
  unsigned i;
  memset(b, 0, FS_CHALLENGE_SIZE);
  memcpy(b, "FSCH", 4);
  b[4] = 1;
  b[8] = 7;
  for (i = 0; i < 4; i++) b[9 + i] = (uint8_t)(issued_at >> (24 - 8 * i));
  b[13] = difficulty;
  b[14] = sub;
  for (i = 0; i < 8; i++) b[15 + i] = (uint8_t)(issued_at * 31 + i);
  b[33] = b[34] = 0xff;
  b[35] = 127; b[38] = 1;
  b[39] = 0x9c;
  fs_hmac_sha256("test key", 8, b + 4, 37, mac);
  memcpy(b + 41, mac, 16);
}

static fs_client *new_client(fs_client_config *cfg) {
  fs_client *c = NULL;
  CHECK_EQ(fs_client_create(cfg, &c), FS_OK);
  return c;
}

static void solve(fs_client *c) {
  int r;
  while ((r = fs_client_solve_step(c, 1000)) == FS_SOLVING) {}
  CHECK_EQ(r, FS_SOLVED);
}

/* The next datagram must be a game packet with exactly this text. */
static void expect_game(fs_client *c, const char *text, uint64_t now) {
  int n = fs_client_next_datagram(c, out, sizeof out, now);
  CHECK_EQ(n, (int)strlen(text));
  if (n > 0 && (size_t)n == strlen(text) && memcmp(out, text, (size_t)n) != 0) {
    fprintf(stderr, "  expected %s, got %.*s\n", text, n, (char *)out);
    fs_test_failures++;
  }
}

/* The next datagram must be an answer carrying `payload` (NULL: none). */
static void expect_answer(fs_client *c, const char *payload, uint64_t now) {
  int n = fs_client_next_datagram(c, out, sizeof out, now);
  size_t head;
  CHECK(n >= FS_ANSWER_HEADER_SIZE + 4);
  if (n < FS_ANSWER_HEADER_SIZE + 4) return;
  CHECK(memcmp(out, "FSAN", 4) == 0);
  head = FS_ANSWER_HEADER_SIZE + 4u * out[14];
  CHECK_EQ((size_t)n - head, payload ? strlen(payload) : 0);
  if (payload && (size_t)n == head + strlen(payload)) CHECK(memcmp(out + head, payload, strlen(payload)) == 0);
}

static void send_text(fs_client *c, const char *text, uint64_t now) {
  CHECK_EQ(fs_client_send(c, (const uint8_t *)text, strlen(text), now), FS_OK);
}

static void test_hello_and_hold(void) {
  fs_client_config cfg;
  fs_client *c;
  int n;
  fs_client_config_default(&cfg);
  c = new_client(&cfg);
  send_text(c, "early", 0); /* before start: held */
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 0), 0);
  CHECK_EQ(fs_client_start(c, 100), FS_OK);
  CHECK_EQ(fs_client_start(c, 100), FS_ERR_STATE);
  CHECK_EQ(fs_client_next_datagram(c, out, FS_HELLO_SIZE - 1, 100), FS_ERR_BUFFER_TOO_SMALL);
  n = fs_client_next_datagram(c, out, sizeof out, 100);
  CHECK_EQ(n, FS_HELLO_SIZE);
  CHECK(memcmp(out, "FSHI\x01", 5) == 0);
  for (n = 5; n < FS_HELLO_SIZE; n++) CHECK_EQ(out[n], 0);
  send_text(c, "move 1", 110);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 349), 0); /* hold_after_hello_ms 250 */
  CHECK_EQ(fs_client_next_timeout(c, 300), 50);
  expect_game(c, "early", 350);
  expect_game(c, "move 1", 350);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 351), 0);
  send_text(c, "move 2", 400); /* open: goes at once */
  CHECK_EQ(fs_client_next_timeout(c, 400), 0);
  expect_game(c, "move 2", 400);
  fs_client_destroy(c);
}

static void test_challenge_carries_first_packet(void) {
  fs_client_config cfg;
  fs_client *c;
  fs_client_stats st;
  uint8_t ch[FS_CHALLENGE_SIZE];
  fs_client_config_default(&cfg);
  c = new_client(&cfg);
  fs_client_start(c, 0);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 0), FS_HELLO_SIZE);
  send_text(c, "a", 1); send_text(c, "b", 2); send_text(c, "c", 3);
  make_challenge(ch, 1000, 6, 4);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 20), FS_DATAGRAM_CHALLENGE);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 21), FS_DATAGRAM_IGNORED); /* duplicate while solving */
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 22), 0); /* held while solving */
  send_text(c, "d", 23);
  solve(c);
  CHECK(!fs_client_solving(c));
  expect_answer(c, "a", 30);
  expect_game(c, "b", 30); expect_game(c, "c", 30); expect_game(c, "d", 30);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 30), 0);
  /* a late duplicate of the burst already answered changes nothing */
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 40), FS_DATAGRAM_IGNORED);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 40), 0);
  fs_client_get_stats(c, &st);
  CHECK_EQ(st.challenges, 1);
  CHECK_EQ(st.solved, 1);
  CHECK_EQ(st.ignored_challenges, 2);
  CHECK_EQ(st.last_difficulty, 6);
  CHECK_EQ(st.last_sub_puzzles, 4);
  CHECK(st.last_solve_tries >= 4);
  fs_client_destroy(c);
}

static void test_resend_window(void) {
  fs_client_config cfg;
  fs_client *c;
  uint8_t ch[FS_CHALLENGE_SIZE];
  fs_client_config_default(&cfg);
  cfg.no_hello = 1; /* already verified somewhere: sends at once */
  c = new_client(&cfg);
  fs_client_start(c, 0);
  send_text(c, "old", 0);
  expect_game(c, "old", 0);
  send_text(c, "x", 5000); send_text(c, "y", 5001);
  expect_game(c, "x", 5000); expect_game(c, "y", 5001);
  /* a challenge: the edge dropped x and y (within 3 s), not "old" (5 s ago) */
  make_challenge(ch, 2000, 2, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 5100), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, "x", 5200);
  expect_game(c, "y", 5200);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 5200), 0);
  /* the answer was refused: a newer challenge, so x (carried) and y go again */
  make_challenge(ch, 2001, 2, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 5300), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, "x", 5400);
  expect_game(c, "y", 5400);
  /* the server answers: nothing is kept any more, the next challenge resends nothing */
  CHECK_EQ(fs_client_on_datagram(c, (const uint8_t *)"echo", 4, 5500), FS_DATAGRAM_GAME);
  make_challenge(ch, 2002, 2, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 5600), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, NULL, 5700);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 5700), 0);
  fs_client_destroy(c);
  /* resend_window_ms 0 keeps nothing */
  cfg.resend_window_ms = 0;
  c = new_client(&cfg);
  fs_client_start(c, 0);
  send_text(c, "x", 0);
  expect_game(c, "x", 0);
  make_challenge(ch, 3000, 1, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 10), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, NULL, 20);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 20), 0);
  fs_client_destroy(c);
}

static void test_refusals(void) {
  fs_client_config cfg;
  fs_client *c;
  fs_client_stats st;
  uint8_t ch[FS_CHALLENGE_SIZE], big[1300];
  int i;
  fs_client_config_default(&cfg);
  cfg.max_queued_packets = 3;
  c = new_client(&cfg);
  fs_client_start(c, 0);
  fs_client_next_datagram(c, out, sizeof out, 0);
  send_text(c, "1", 1); send_text(c, "2", 1); send_text(c, "3", 1);
  CHECK_EQ(fs_client_send(c, (const uint8_t *)"4", 1, 1), FS_ERR_QUEUE_FULL);
  memset(big, 'z', sizeof big);
  CHECK_EQ(fs_client_send(c, big, 1201, 1), FS_ERR_TOO_LARGE);
  CHECK_EQ(fs_client_send(c, big, 0, 1), FS_ERR_ARGUMENT);
  /* 25 bits of work (16 × 21) is above max_work_bits 24: refused, held packets released */
  make_challenge(ch, 1000, 21, 16);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 10), FS_ERR_CHALLENGE_TOO_HARD);
  CHECK(!fs_client_solving(c));
  expect_game(c, "1", 11);
  expect_game(c, "2", 11);
  CHECK_EQ(fs_client_next_datagram(c, out, 0, 11), FS_ERR_BUFFER_TOO_SMALL); /* nothing consumed */
  expect_game(c, "3", 11);
  /* malformed challenges: refused with the format's code, treated as game data */
  ch[4] = 2;
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 12), FS_ERR_VERSION);
  make_challenge(ch, 1001, 27, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 12), FS_ERR_DIFFICULTY);
  make_challenge(ch, 1001, 4, 3);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 12), FS_ERR_SUB_PUZZLES);
  make_challenge(ch, 1001, 4, 1);
  CHECK_EQ(fs_client_on_datagram(c, ch, 56, 12), FS_ERR_SHORT);
  memcpy(big, ch, sizeof ch);
  CHECK_EQ(fs_client_on_datagram(c, big, 58, 12), FS_ERR_LENGTH);
  CHECK_EQ(fs_client_on_datagram(c, (const uint8_t *)"FSC", 3, 12), FS_DATAGRAM_GAME);
  fs_client_get_stats(c, &st);
  CHECK_EQ(st.malformed, 5);
  CHECK_EQ(st.ignored_challenges, 1);
  CHECK_EQ(st.last_error, FS_ERR_LENGTH);
  fs_client_destroy(c);
  /* config checks */
  CHECK_EQ(fs_client_memory_size(NULL), 0);
  memset(&cfg, 0, sizeof cfg);
  CHECK_EQ(fs_client_memory_size(&cfg), 0); /* not from fs_client_config_default */
  CHECK_EQ(fs_client_create(&cfg, &c), FS_ERR_ARGUMENT);
  fs_client_config_default(&cfg);
  cfg.queue_bytes = 100; /* below max_packet_size */
  CHECK_EQ(fs_client_create(&cfg, &c), FS_ERR_ARGUMENT);
  for (i = 0; i < 3; i++) CHECK(fs_strerror(-1 - i)[0] == 'F');
}

static void test_token_and_memory(void) {
  static uint64_t memory[4096]; /* the caller's memory: no malloc */
  fs_client_config cfg;
  fs_client *c;
  fs_token t;
  uint8_t token[FS_TOKEN_SIZE + 1];
  memset(token, 0, sizeof token);
  memcpy(token, "FSTK\x01", 5);
  token[16] = 60; token[33] = 0x9c; token[52] = 207;
  CHECK_EQ(fs_parse_token(token, FS_TOKEN_SIZE, &t), FS_OK);
  CHECK_EQ(t.expires_at, 60);
  CHECK_EQ(t.client_port, 0x9c00);
  CHECK_EQ(t.target_port, 207);
  CHECK_EQ(fs_parse_token(token, FS_TOKEN_SIZE - 1, &t), FS_ERR_SHORT);
  CHECK_EQ(fs_parse_token(token, FS_TOKEN_SIZE + 1, &t), FS_ERR_LENGTH);
  fs_client_config_default(&cfg);
  cfg.max_queued_packets = 8;
  cfg.queue_bytes = 4096;
  cfg.token = token;
  cfg.token_len = FS_TOKEN_SIZE;
  CHECK(fs_client_memory_size(&cfg) <= sizeof memory);
  CHECK_EQ(fs_client_init(memory, 64, &cfg, &c), FS_ERR_MEMORY);
  CHECK_EQ(fs_client_init(memory, sizeof memory, &cfg, &c), FS_OK);
  token[0] = 'X'; /* copied at init */
  fs_client_start(c, 0);
  send_text(c, "go", 0);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 0), FS_TOKEN_SIZE);
  CHECK(memcmp(out, "FSTK", 4) == 0);
  expect_game(c, "go", 0); /* a token holds nothing */
  cfg.token = token; /* now malformed */
  CHECK_EQ(fs_client_init(memory, sizeof memory, &cfg, &c), FS_ERR_MAGIC);
  token[0] = 'F'; token[4] = 9;
  CHECK_EQ(fs_client_init(memory, sizeof memory, &cfg, &c), FS_ERR_VERSION);
  cfg.token_len = 100;
  CHECK_EQ(fs_client_init(memory, sizeof memory, &cfg, &c), FS_ERR_SHORT);
}

/* Packets of many sizes through the byte ring, against a model: every byte comes back in order. */
static void test_ring(void) {
  fs_client_config cfg;
  fs_client *c;
  uint8_t p[300];
  uint32_t sent = 0, got = 0, seed = 1;
  int i, k;
  fs_client_config_default(&cfg);
  cfg.no_hello = 1;
  cfg.max_queued_packets = 16;
  cfg.queue_bytes = 1000;
  cfg.max_packet_size = 300;
  c = new_client(&cfg);
  fs_client_start(c, 0);
  for (i = 0; i < 5000; i++) {
    int burst = (int)(seed % 5);
    seed = seed * 1103515245u + 12345u;
    for (k = 0; k < burst; k++) {
      size_t len = 1 + (seed >> 16) % 300;
      size_t j;
      seed = seed * 1103515245u + 12345u;
      for (j = 0; j < len; j++) p[j] = (uint8_t)(sent + j);
      p[0] = (uint8_t)sent;
      if (fs_client_send(c, p, len, (uint64_t)i) == FS_OK) sent++;
    }
    for (;;) {
      int n = fs_client_next_datagram(c, out, sizeof out, (uint64_t)i);
      if (n <= 0) break;
      CHECK_EQ(out[0], (uint8_t)got);
      CHECK_EQ(out[n - 1], (uint8_t)(got + (uint32_t)n - 1));
      got++;
    }
  }
  CHECK_EQ(got, sent);
  CHECK(sent > 1000);
  fs_client_destroy(c);
}

static void test_jobs_and_thread(void) {
  fs_client_config cfg;
  fs_client *c;
  fs_solve_job job, other;
  fs_solver_thread *t;
  uint8_t ch[FS_CHALLENGE_SIZE];
  int r, solving = 1, spins = 0;
  fs_client_config_default(&cfg);
  cfg.no_hello = 1;
  c = new_client(&cfg);
  fs_client_start(c, 0);
  CHECK_EQ(fs_client_take_job(c, &job), FS_IDLE);
  CHECK_EQ(fs_client_solve_step(c, 10), FS_IDLE);
  make_challenge(ch, 100, 8, 2);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 0), FS_DATAGRAM_CHALLENGE);
  CHECK_EQ(fs_client_take_job(c, &job), FS_OK);
  other = job;
  do r = fs_pow_run(&job.pow, 1 << 20); while (r == FS_SOLVING);
  CHECK_EQ(fs_client_commit_job(c, &job), FS_SOLVED);
  CHECK_EQ(fs_client_commit_job(c, &other), FS_ERR_STALE_JOB); /* no longer solving */
  expect_answer(c, NULL, 1);
  /* the thread solves while this thread only locks to hand over datagrams */
  CHECK_EQ(fs_solver_thread_start(c, 256, &t), FS_OK);
  make_challenge(ch, 101, 10, 8);
  fs_solver_thread_lock(t);
  send_text(c, "held", 2);
  CHECK_EQ(fs_client_on_datagram(c, ch, sizeof ch, 2), FS_DATAGRAM_CHALLENGE);
  CHECK_EQ(fs_client_take_job(c, &other), FS_OK);
  fs_solver_thread_unlock(t);
  while (solving) {
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    fs_solver_thread_lock(t);
    solving = fs_client_solving(c);
    fs_solver_thread_unlock(t);
    spins++;
  }
  fs_solver_thread_lock(t);
  expect_answer(c, "held", 3);
  CHECK_EQ(fs_client_commit_job(c, &other), FS_ERR_STALE_JOB);
  fs_solver_thread_unlock(t);
  fs_solver_thread_stop(t);
  CHECK(spins >= 1);
  fs_client_destroy(c);
}

static void test_forged_future_challenge(void) {
  /* A spoofer sends a challenge dated 2106; the genuine ones after it are dated now. Only a
   * challenge issued shortly before the answered one, arriving shortly after, is a duplicate. */
  fs_client_config cfg;
  fs_client *c;
  uint8_t forged[FS_CHALLENGE_SIZE], genuine[FS_CHALLENGE_SIZE];
  fs_client_config_default(&cfg);
  c = new_client(&cfg);
  fs_client_start(c, 0);
  CHECK_EQ(fs_client_next_datagram(c, out, sizeof out, 0), FS_HELLO_SIZE);
  make_challenge(forged, 0xffffffffu, 4, 1);
  CHECK_EQ(fs_client_on_datagram(c, forged, sizeof forged, 10), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, NULL, 20);
  make_challenge(genuine, 1000, 4, 1);
  CHECK_EQ(fs_client_on_datagram(c, genuine, sizeof genuine, 30), FS_DATAGRAM_CHALLENGE);
  solve(c);
  expect_answer(c, NULL, 40);
  /* and a duplicate of that genuine burst, soon after, is still ignored */
  make_challenge(genuine, 999, 4, 1);
  CHECK_EQ(fs_client_on_datagram(c, genuine, sizeof genuine, 50), FS_DATAGRAM_IGNORED);
  /* the same issue time, long after the answer, is a new refusal: solved again */
  CHECK_EQ(fs_client_on_datagram(c, genuine, sizeof genuine, 40 + 5001), FS_DATAGRAM_CHALLENGE);
  fs_client_destroy(c);
}

int main(void) {
  test_hello_and_hold();
  test_challenge_carries_first_packet();
  test_resend_window();
  test_refusals();
  test_token_and_memory();
  test_ring();
  test_jobs_and_thread();
  test_forged_future_challenge();
  TEST_DONE("test-client");
}
