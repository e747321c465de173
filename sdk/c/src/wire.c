/* The client-visible packets of protocol v1 (docs/protocol.md) and the proof-of-work search. */
#include <string.h>
#include "flowshield.h"
#include "internal.h"

static const uint8_t MAGIC_CHALLENGE[4] = {'F', 'S', 'C', 'H'};
static const uint8_t MAGIC_ANSWER[4] = {'F', 'S', 'A', 'N'};
static const uint8_t MAGIC_HELLO[4] = {'F', 'S', 'H', 'I'};
static const uint8_t MAGIC_TOKEN[4] = {'F', 'S', 'T', 'K'};

const char *fs_strerror(int code) {
  switch (code) {
    case FS_OK: return "ok";
    case FS_DATAGRAM_GAME: return "game datagram";
    case FS_DATAGRAM_CHALLENGE: return "challenge accepted";
    case FS_DATAGRAM_IGNORED: return "duplicate challenge ignored";
    case FS_SOLVING: return "solving";
    case FS_SOLVED: return "solved";
    case FS_IDLE: return "idle";
    case FS_ERR_ARGUMENT: return "FS_ERR_ARGUMENT: invalid argument";
    case FS_ERR_MEMORY: return "FS_ERR_MEMORY: not enough memory";
    case FS_ERR_SHORT: return "FS_ERR_SHORT: shorter than its format";
    case FS_ERR_LENGTH: return "FS_ERR_LENGTH: longer than its format";
    case FS_ERR_MAGIC: return "FS_ERR_MAGIC: wrong magic";
    case FS_ERR_VERSION: return "FS_ERR_VERSION: unknown protocol version";
    case FS_ERR_DIFFICULTY: return "FS_ERR_DIFFICULTY: difficulty above 26 bits";
    case FS_ERR_SUB_PUZZLES: return "FS_ERR_SUB_PUZZLES: sub-puzzle count not 1, 2, 4, 8 or 16";
    case FS_ERR_CHALLENGE_TOO_HARD: return "FS_ERR_CHALLENGE_TOO_HARD: challenge asks more than max_work_bits";
    case FS_ERR_QUEUE_FULL: return "FS_ERR_QUEUE_FULL: too many held packets";
    case FS_ERR_TOO_LARGE: return "FS_ERR_TOO_LARGE: game packet larger than max_packet_size";
    case FS_ERR_BUFFER_TOO_SMALL: return "FS_ERR_BUFFER_TOO_SMALL: output buffer too small";
    case FS_ERR_EXHAUSTED: return "FS_ERR_EXHAUSTED: no solution in 2^32 tries";
    case FS_ERR_STATE: return "FS_ERR_STATE: call does not fit the client's state";
    case FS_ERR_STALE_JOB: return "FS_ERR_STALE_JOB: the challenge changed";
    case FS_ERR_SYSTEM: return "FS_ERR_SYSTEM: system call failed";
    default: return "unknown code";
  }
}

static int valid_sub_puzzles(unsigned n) { return n >= 1 && n <= FS_MAX_SUB_PUZZLES && (n & (n - 1)) == 0; }

int fs_parse_challenge(const uint8_t *data, size_t len, fs_challenge *out) {
  if (data == NULL || out == NULL) return FS_ERR_ARGUMENT;
  /* The checks run in the order of libs/proto decodeChallenge, so both report the same problem. */
  if (len < FS_CHALLENGE_SIZE) return FS_ERR_SHORT;
  if (memcmp(data, MAGIC_CHALLENGE, 4) != 0) return FS_ERR_MAGIC;
  if (data[4] != FS_PROTOCOL_VERSION) return FS_ERR_VERSION;
  if (data[13] > FS_MAX_DIFFICULTY_BITS) return FS_ERR_DIFFICULTY;
  if (!valid_sub_puzzles(data[14])) return FS_ERR_SUB_PUZZLES;
  if (len != FS_CHALLENGE_SIZE) return FS_ERR_LENGTH;
  out->key_id = fs_load_be32(data + 5);
  out->issued_at = fs_load_be32(data + 9);
  out->difficulty = data[13];
  out->sub_puzzles = data[14];
  memcpy(out->nonce, data + 15, 8);
  memcpy(out->client_address, data + 23, 16);
  out->client_port = (uint16_t)((data[39] << 8) | data[40]);
  memcpy(out->tag, data + 41, 16);
  memcpy(out->raw, data, FS_CHALLENGE_SIZE);
  return FS_OK;
}

int fs_parse_token(const uint8_t *data, size_t len, fs_token *out) {
  if (data == NULL) return FS_ERR_ARGUMENT;
  if (len < FS_TOKEN_SIZE) return FS_ERR_SHORT;
  if (len > FS_TOKEN_SIZE) return FS_ERR_LENGTH;
  if (memcmp(data, MAGIC_TOKEN, 4) != 0) return FS_ERR_MAGIC;
  if (data[4] != FS_PROTOCOL_VERSION) return FS_ERR_VERSION;
  if (out != NULL) {
    out->signing_key_id = fs_load_be32(data + 5);
    out->issued_at = fs_load_be32(data + 9);
    out->expires_at = fs_load_be32(data + 13);
    memcpy(out->client_address, data + 17, 16);
    out->client_port = (uint16_t)((data[33] << 8) | data[34]);
    memcpy(out->target_address, data + 35, 16);
    out->target_port = (uint16_t)((data[51] << 8) | data[52]);
  }
  return FS_OK;
}

int fs_encode_hello(uint8_t *out, size_t cap) {
  if (out == NULL) return FS_ERR_ARGUMENT;
  if (cap < FS_HELLO_SIZE) return FS_ERR_BUFFER_TOO_SMALL;
  memset(out, 0, FS_HELLO_SIZE);
  memcpy(out, MAGIC_HELLO, 4);
  out[4] = FS_PROTOCOL_VERSION;
  return FS_HELLO_SIZE;
}

int fs_encode_answer(const fs_challenge *c, const uint32_t *solutions, const uint8_t *payload, size_t payload_len,
                     uint8_t *out, size_t cap) {
  size_t head, i;
  if (c == NULL || solutions == NULL || out == NULL || (payload == NULL && payload_len > 0)) return FS_ERR_ARGUMENT;
  head = FS_ANSWER_HEADER_SIZE + 4u * c->sub_puzzles;
  if (payload_len > cap || head > cap - payload_len) return FS_ERR_BUFFER_TOO_SMALL;
  memcpy(out, c->raw, FS_CHALLENGE_SIZE);
  memcpy(out, MAGIC_ANSWER, 4);
  for (i = 0; i < c->sub_puzzles; i++) fs_store_be32(out + FS_ANSWER_HEADER_SIZE + 4 * i, solutions[i]);
  if (payload_len > 0) memcpy(out + head, payload, payload_len);
  return (int)(head + payload_len);
}

double fs_expected_tries(const fs_challenge *c) {
  return (double)c->sub_puzzles * (double)((uint64_t)1 << c->difficulty);
}

void fs_pow_init(fs_pow *p, const fs_challenge *c) {
  memset(p, 0, sizeof *p);
  fs_pow_midstate(c->tag, c->nonce, p->w, p->midstate);
  p->difficulty = c->difficulty;
  p->sub_puzzles = c->sub_puzzles;
}

uint32_t fs_pow_first_word(const fs_pow *p, uint8_t index, uint32_t solution) {
  return fs_pow_hash(p->w, p->midstate, index, solution);
}

int fs_pow_run(fs_pow *p, uint64_t max_hashes) {
  /* A word passes when its top `difficulty` bits are zero; difficulty 0 accepts candidate 0. */
  const uint32_t mask = p->difficulty == 0 ? 0u : ~(uint32_t)0 << (32 - p->difficulty);
  if (p->exhausted) return FS_ERR_EXHAUSTED;
  while (max_hashes > 0 && p->index < p->sub_puzzles) {
    max_hashes--;
    p->tries++;
    if ((fs_pow_hash(p->w, p->midstate, p->index, p->candidate) & mask) == 0) {
      p->solutions[p->index++] = p->candidate;
      p->candidate = 0;
    } else if (p->candidate == 0xffffffffu) {
      p->exhausted = 1;
      return FS_ERR_EXHAUSTED;
    } else {
      p->candidate++;
    }
  }
  return p->index >= p->sub_puzzles ? FS_SOLVED : FS_SOLVING;
}
