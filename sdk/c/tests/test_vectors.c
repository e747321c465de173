/*
 * The shared vectors (libs/proto/vectors/challenge/v1.json, flattened by vectors-to-text.mjs):
 * parsing, the MAC input and tag (HMAC written here), the smallest solutions, the answer bytes —
 * through the pure functions and through the client state machine, as the TS SDK tests them.
 * Plus SHA-256/HMAC known answers (FIPS 180-4 examples, RFC 4231).
 *   test-vectors VECTORS.txt
 */
#include "flowshield.h"
#include "testing.h"

typedef struct vcase {
  char name[128], reason[64];
  uint8_t key[32], nonce[8], mac[64], tag[16], challenge[64], payload[256], answer[512];
  size_t payload_len, answer_len, challenge_len, mac_len;
  uint32_t key_id, issued_at, difficulty, sub, client_port, solutions[16], nsol;
  int rejection;
} vcase;

static void hex_is(const uint8_t *got, const char *want_hex) {
  uint8_t want[64];
  size_t n = fs_unhex(want_hex, want, sizeof want);
  CHECK(memcmp(got, want, n) == 0);
}

static void known_answers(void) {
  uint8_t d[32], big[1000];
  uint8_t key131[131];
  fs_sha256_ctx s;
  size_t i;
  fs_sha256("", 0, d);
  hex_is(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  fs_sha256("abc", 3, d);
  hex_is(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  fs_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
  hex_is(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* the same in pieces across block boundaries */
  memset(big, 'a', sizeof big);
  fs_sha256_init(&s);
  for (i = 0; i < 1000; i += 7) fs_sha256_update(&s, big + i, i + 7 <= 1000 ? 7 : 1000 - i);
  fs_sha256_final(&s, d);
  hex_is(d, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
  /* RFC 4231 test cases 1, 2 and 6 (key longer than a block) */
  memset(big, 0x0b, 20);
  fs_hmac_sha256(big, 20, "Hi There", 8, d);
  hex_is(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  fs_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
  hex_is(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  memset(key131, 0xaa, sizeof key131);
  fs_hmac_sha256(key131, sizeof key131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
  hex_is(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void check_case(const vcase *v) {
  fs_challenge c;
  fs_pow pow;
  fs_client_config cfg;
  fs_client *client;
  uint8_t mac[32], out[1500], raw[FS_CHALLENGE_SIZE];
  uint32_t i;
  int n, r;
  CHECK_EQ(fs_parse_challenge(v->challenge, v->challenge_len, &c), FS_OK);
  CHECK_EQ(c.key_id, v->key_id);
  CHECK_EQ(c.issued_at, v->issued_at);
  CHECK_EQ(c.difficulty, v->difficulty);
  CHECK_EQ(c.sub_puzzles, v->sub);
  CHECK_EQ(c.client_port, v->client_port);
  CHECK(memcmp(c.nonce, v->nonce, 8) == 0);
  CHECK(memcmp(c.tag, v->tag, 16) == 0);
  /* MAC input = challenge bytes 4..41 (version … client port) ‖ protected endpoint; HMAC → tag */
  CHECK_EQ(v->mac_len, FS_MAC_INPUT_SIZE);
  CHECK(memcmp(v->mac, v->challenge + 4, 37) == 0);
  fs_hmac_sha256(v->key, 32, v->mac, v->mac_len, mac);
  CHECK(memcmp(mac, v->tag, 16) == 0);
  /* the smallest solutions */
  fs_pow_init(&pow, &c);
  do r = fs_pow_run(&pow, 3); while (r == FS_SOLVING);
  CHECK_EQ(r, FS_SOLVED);
  CHECK_EQ(pow.index, v->nsol);
  for (i = 0; i < v->nsol; i++) CHECK_EQ(pow.solutions[i], v->solutions[i]);
  n = fs_encode_answer(&c, pow.solutions, v->payload_len ? v->payload : NULL, v->payload_len, out, sizeof out);
  CHECK_EQ(n, v->answer_len);
  CHECK(memcmp(out, v->answer, v->answer_len) == 0);
  CHECK_EQ(fs_encode_answer(&c, pow.solutions, NULL, 0, out, FS_ANSWER_HEADER_SIZE + 4 * c.sub_puzzles - 1), FS_ERR_BUFFER_TOO_SMALL);
  /* one-byte truncations and an extra byte are refused */
  CHECK_EQ(fs_parse_challenge(v->challenge, v->challenge_len - 1, &c), FS_ERR_SHORT);
  memcpy(raw, v->challenge, FS_CHALLENGE_SIZE);
  /* the client: hello, the game packet held, the answer carrying it, byte for byte as the vector */
  fs_client_config_default(&cfg);
  CHECK_EQ(fs_client_create(&cfg, &client), FS_OK);
  CHECK_EQ(fs_client_start(client, 1000), FS_OK);
  if (v->payload_len) CHECK_EQ(fs_client_send(client, v->payload, v->payload_len, 1000), FS_OK);
  n = fs_client_next_datagram(client, out, sizeof out, 1001);
  CHECK_EQ(n, FS_HELLO_SIZE);
  CHECK_EQ(fs_client_next_datagram(client, out, sizeof out, 1002), 0); /* held: greeting */
  CHECK_EQ(fs_client_on_datagram(client, raw, sizeof raw, 1010), FS_DATAGRAM_CHALLENGE);
  CHECK(fs_client_solving(client));
  while ((r = fs_client_solve_step(client, 2)) == FS_SOLVING) {}
  CHECK_EQ(r, FS_SOLVED);
  n = fs_client_next_datagram(client, out, sizeof out, 1020);
  CHECK_EQ(n, v->answer_len);
  CHECK(n > 0 && memcmp(out, v->answer, (size_t)n) == 0);
  CHECK_EQ(fs_client_next_datagram(client, out, sizeof out, 1021), 0);
  /* the answer is no challenge for the client */
  CHECK_EQ(fs_client_on_datagram(client, v->answer, v->answer_len, 1030), FS_DATAGRAM_GAME);
  fs_client_destroy(client);
}

/* A rejected answer (the edge's job) must never be taken for a challenge; its first 57 bytes made
 * to look like a challenge are refused with the matching code when the vector breaks the format. */
static void check_rejection(const vcase *v) {
  fs_challenge c;
  uint8_t b[512];
  size_t n = v->answer_len < FS_CHALLENGE_SIZE ? v->answer_len : FS_CHALLENGE_SIZE;
  int r;
  if (memcmp(v->answer, "FSCH", 4) == 0) {
    CHECK_EQ(fs_parse_challenge(v->answer, v->answer_len, &c), FS_OK); /* the challenge sent back */
    return;
  }
  CHECK(fs_parse_challenge(v->answer, v->answer_len, &c) == FS_ERR_MAGIC || v->answer_len < FS_CHALLENGE_SIZE);
  memcpy(b, v->answer, n);
  memcpy(b, "FSCH", 4);
  r = fs_parse_challenge(b, n, &c);
  if (strstr(v->name, "version")) CHECK_EQ(r, FS_ERR_VERSION);
  else if (strstr(v->name, "three_sub-puzzles")) CHECK_EQ(r, FS_ERR_SUB_PUZZLES);
  else CHECK_EQ(r, FS_OK); /* the rest is the edge's to refuse, not a format problem */
}

int main(int argc, char **argv) {
  FILE *f;
  char line[4096];
  vcase v;
  int cases = 0, rejections = 0;
  known_answers();
  if (argc < 2 || (f = fopen(argv[1], "r")) == NULL) {
    fprintf(stderr, "usage: test-vectors VECTORS.txt\n");
    return 2;
  }
  memset(&v, 0, sizeof v);
  while (fgets(line, sizeof line, f)) {
    char *val = strchr(line, ' ');
    line[strcspn(line, "\n")] = '\0';
    if (val) *val++ = '\0';
    if (strcmp(line, "case") == 0 || strcmp(line, "rejection") == 0) {
      memset(&v, 0, sizeof v);
      v.rejection = line[0] == 'r';
    } else if (strcmp(line, "end") == 0) {
      if (v.rejection) { check_rejection(&v); rejections++; }
      else { check_case(&v); cases++; }
      if (fs_test_failures) fprintf(stderr, "  (in %s)\n", v.name);
    } else if (val == NULL) {
      continue;
    } else if (!strcmp(line, "name")) snprintf(v.name, sizeof v.name, "%s", val);
    else if (!strcmp(line, "reason")) snprintf(v.reason, sizeof v.reason, "%s", val);
    else if (!strcmp(line, "key")) fs_unhex(val, v.key, 32);
    else if (!strcmp(line, "nonce")) fs_unhex(val, v.nonce, 8);
    else if (!strcmp(line, "tag")) fs_unhex(val, v.tag, 16);
    else if (!strcmp(line, "macInput")) v.mac_len = fs_unhex(val, v.mac, sizeof v.mac);
    else if (!strcmp(line, "challenge")) v.challenge_len = fs_unhex(val, v.challenge, sizeof v.challenge);
    else if (!strcmp(line, "answer")) v.answer_len = fs_unhex(val, v.answer, sizeof v.answer);
    else if (!strcmp(line, "payload")) v.payload_len = val[0] == '-' ? 0 : fs_unhex(val, v.payload, sizeof v.payload);
    else if (!strcmp(line, "keyId")) v.key_id = (uint32_t)strtoul(val, NULL, 10);
    else if (!strcmp(line, "issuedAt")) v.issued_at = (uint32_t)strtoul(val, NULL, 10);
    else if (!strcmp(line, "difficulty")) v.difficulty = (uint32_t)strtoul(val, NULL, 10);
    else if (!strcmp(line, "subPuzzles")) v.sub = (uint32_t)strtoul(val, NULL, 10);
    else if (!strcmp(line, "clientPort")) v.client_port = (uint32_t)strtoul(val, NULL, 10);
    else if (!strcmp(line, "solutions")) {
      char *p = val;
      while (*p && v.nsol < 16) { v.solutions[v.nsol++] = (uint32_t)strtoul(p, &p, 10); if (*p == ',') p++; }
    }
  }
  fclose(f);
  CHECK(cases >= 4);
  CHECK(rejections >= 10);
  printf("%d cases, %d rejections\n", cases, rejections);
  TEST_DONE("test-vectors");
}
