/*
 * Fuzz target for everything that reads bytes from the network or a matchmaker: fs_parse_challenge,
 * fs_parse_token and fs_client_on_datagram (then a bounded solve and the datagrams it produces).
 * Invariants: a result is FS_OK or one of the documented refusal codes, a parsed challenge is well
 * formed, and (under ASan) nothing reads beyond the input: each input lives in a buffer of exactly
 * its size. Built for libFuzzer with -DFS_LIBFUZZER; otherwise main() runs a bounded random and
 * mutation driver seeded from the vectors' challenges and answers.
 *   fuzz-datagram [ITERATIONS] [VECTORS.txt]
 */
#include "flowshield.h"
#include "testing.h"

static fs_client *client;
static uint8_t out[2048];

static void die(const char *what, int r, const uint8_t *data, size_t len) {
  size_t i;
  fprintf(stderr, "fuzz: %s (%d) for %zu bytes:", what, r, len);
  for (i = 0; i < len && i < 80; i++) fprintf(stderr, "%02x", data[i]);
  fprintf(stderr, "\n");
  abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len) {
  static uint64_t now = 0;
  fs_challenge c;
  fs_token t;
  int r, n;
  if (client == NULL) {
    fs_client_config cfg;
    fs_client_config_default(&cfg);
    cfg.max_work_bits = 12; /* keep each solve short */
    if (fs_client_create(&cfg, &client) != FS_OK) abort();
    fs_client_start(client, 0);
  }
  now += 7;
  r = fs_parse_challenge(data, len, &c);
  if (r == FS_OK) {
    if (len != FS_CHALLENGE_SIZE || c.difficulty > FS_MAX_DIFFICULTY_BITS || c.sub_puzzles == 0 || c.sub_puzzles > 16 ||
        (c.sub_puzzles & (c.sub_puzzles - 1)) != 0 || memcmp(data, "FSCH\x01", 5) != 0)
      die("accepted a malformed challenge", r, data, len);
  } else if (r > FS_ERR_SHORT || r < FS_ERR_SUB_PUZZLES) {
    die("unexpected challenge code", r, data, len);
  }
  r = fs_parse_token(data, len, &t);
  if ((r == FS_OK) != (len == FS_TOKEN_SIZE && memcmp(data, "FSTK\x01", 5) == 0)) die("token verdict", r, data, len);
  if (r != FS_OK && r != FS_ERR_SHORT && r != FS_ERR_LENGTH && r != FS_ERR_MAGIC && r != FS_ERR_VERSION) die("unexpected token code", r, data, len);
  r = fs_client_on_datagram(client, data, len, now);
  if (!(r == FS_DATAGRAM_GAME || r == FS_DATAGRAM_CHALLENGE || r == FS_DATAGRAM_IGNORED || r == FS_ERR_CHALLENGE_TOO_HARD ||
        (r <= FS_ERR_SHORT && r >= FS_ERR_SUB_PUZZLES)))
    die("unexpected datagram code", r, data, len);
  if (len > 0 && len <= 1200) (void)fs_client_send(client, data, len, now);
  (void)fs_client_solve_step(client, 1 << 14);
  while ((n = fs_client_next_datagram(client, out, sizeof out, now)) > 0) {}
  if (n < 0) die("next_datagram failed", n, data, len);
  return 0;
}

#ifndef FS_LIBFUZZER
static uint32_t rng = 0x12345678u;
static uint32_t next_rand(void) {
  rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5;
  return rng;
}

static void run_one(const uint8_t *src, size_t len) {
  uint8_t *copy = (uint8_t *)malloc(len ? len : 1); /* exactly len bytes: ASan sees any over-read */
  if (!copy) abort();
  if (len) memcpy(copy, src, len);
  LLVMFuzzerTestOneInput(copy, len);
  free(copy);
}

int main(int argc, char **argv) {
  static uint8_t seeds[64][600];
  static size_t seed_len[64];
  size_t nseeds = 0, i;
  long iterations = argc > 1 ? atol(argv[1]) : 200000, k;
  uint8_t buf[700];
  if (argc > 2) {
    FILE *f = fopen(argv[2], "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f) && nseeds < 60) {
      char *val = strchr(line, ' ');
      if (!val) continue;
      *val++ = '\0';
      val[strcspn(val, "\n")] = '\0';
      if (!strcmp(line, "challenge") || !strcmp(line, "answer")) seed_len[nseeds] = fs_unhex(val, seeds[nseeds], 600), nseeds++;
    }
    if (f) fclose(f);
  }
  /* a token and a hello-sized seed */
  memset(seeds[nseeds], 0, 117); memcpy(seeds[nseeds], "FSTK\x01", 5); seed_len[nseeds++] = 117;
  memset(seeds[nseeds], 0, 64); memcpy(seeds[nseeds], "FSHI\x01", 5); seed_len[nseeds++] = 64;
  for (k = 0; k < iterations; k++) {
    const size_t s = next_rand() % nseeds;
    size_t len = seed_len[s];
    memcpy(buf, seeds[s], len);
    switch (next_rand() % 6) {
      case 0: /* random bytes of a random length, keeping a magic sometimes */
        len = next_rand() % 200;
        for (i = 0; i < len; i++) buf[i] = (uint8_t)next_rand();
        if (len >= 4 && (next_rand() & 1)) memcpy(buf, (next_rand() & 1) ? "FSCH" : "FSTK", 4);
        break;
      case 1: len = next_rand() % (len + 1); break; /* truncate */
      case 2: { size_t extra = next_rand() % 8; for (i = 0; i < extra && len < sizeof buf; i++) buf[len++] = (uint8_t)next_rand(); } break;
      case 3: if (len) buf[next_rand() % len] ^= (uint8_t)(1u << (next_rand() % 8)); break;
      case 4: /* the header fields a parser checks, set to edge values */
        if (len > 14) { static const uint8_t v[] = {0, 1, 2, 3, 16, 17, 26, 27, 255}; buf[4 + (next_rand() % 11)] = v[next_rand() % sizeof v]; }
        break;
      default: /* a fresh, cheap challenge: exercises solve, answer and the held packets */
        if (len >= 4) memcpy(buf, "FSCH", 4);
        if (len > 14) { buf[9] = (uint8_t)(k >> 16); buf[10] = (uint8_t)(k >> 8); buf[11] = (uint8_t)k; buf[13] = (uint8_t)(next_rand() % 10); }
        break;
    }
    run_one(buf, len);
  }
  {
    fs_client_stats st;
    fs_client_get_stats(client, &st);
    printf("fuzz-datagram: %ld inputs ok (%u challenges solved, %u ignored, %u malformed)\n", iterations, st.solved,
           st.ignored_challenges, st.malformed);
  }
  fs_client_destroy(client);
  return fs_test_failures;
}
#endif
