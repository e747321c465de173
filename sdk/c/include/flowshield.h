/*
 * flowshield.h — the game-client side of flowshield's challenge protocol v1, in C99 with libc only.
 * Wire format: docs/protocol.md. Behaviour matches the Node SDK (sdk/client): hello first, held
 * game packets while a challenge is solved, the first held packet carried inside the answer, the
 * resend window, late duplicate challenges ignored, maxWorkBits.
 *
 * The library never owns the game's socket. The game:
 *   1. fs_client_start(c, now)            queues the hello (or the token) for sending;
 *   2. fs_client_send(c, data, len, now)  hands over each game packet (held while solving);
 *   3. fs_client_on_datagram(c, d, n, now) for EVERY datagram received from the server: returns
 *      FS_DATAGRAM_GAME when it is the game's own data, anything else means "not for the game";
 *   4. fs_client_solve_step(c, budget)    each frame while fs_client_solving(c): at most `budget`
 *      SHA-256 compressions, so a game loop never stalls (or use flowshield_thread.h);
 *   5. fs_client_next_datagram(c, buf, cap, now) until it returns 0: send what it wrote.
 * `now` is any monotonic clock in milliseconds (the same one on every call).
 *
 * Memory: every buffer is sized at init from fs_client_config. fs_client_init() works in memory
 * the caller provides (fs_client_memory_size() bytes, aligned for any type — malloc's alignment);
 * fs_client_create() mallocs that once. Nothing is allocated after that, and no call keeps a
 * pointer to the caller's buffers after it returns (data is copied).
 *
 * Threads: an fs_client is not thread-safe: one thread at a time per client (different clients are
 * independent). The pure functions (fs_parse_*, fs_pow_*, fs_sha256*, fs_hmac_sha256) are
 * re-entrant. To solve on another thread, use flowshield_thread.h, which locks for you, or the job
 * functions below with your own lock (a job is solved without holding it).
 */
#ifndef FLOWSHIELD_H
#define FLOWSHIELD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(FS_BUILD_SHARED)
#define FS_API __declspec(dllexport)
#elif defined(__GNUC__)
#define FS_API __attribute__((visibility("default")))
#else
#define FS_API
#endif

/* ---- protocol constants (libs/proto/src/challenge/layout.ts) ---- */
#define FS_PROTOCOL_VERSION 1
#define FS_CHALLENGE_SIZE 57
#define FS_ANSWER_HEADER_SIZE 57
#define FS_HELLO_SIZE 64
#define FS_TOKEN_SIZE 117
#define FS_MAC_INPUT_SIZE 55
#define FS_MAX_DIFFICULTY_BITS 26
#define FS_MAX_SUB_PUZZLES 16
#define FS_MAX_ANSWER_SIZE (FS_ANSWER_HEADER_SIZE + 4 * FS_MAX_SUB_PUZZLES)

/* ---- result codes: >= 0 success, < 0 an error (fs_strerror names them) ---- */
typedef enum fs_status {
  FS_OK = 0,
  /* fs_client_on_datagram */
  FS_DATAGRAM_GAME = 1,           /* the game's data: deliver it */
  FS_DATAGRAM_CHALLENGE = 2,      /* a challenge, accepted: solving started */
  FS_DATAGRAM_IGNORED = 3,        /* a duplicate challenge (already solving, or from the burst answered) */
  /* fs_client_solve_step */
  FS_SOLVING = 4,                 /* budget used, not solved yet */
  FS_SOLVED = 5,                  /* solved: the answer is waiting in fs_client_next_datagram */
  FS_IDLE = 6,                    /* nothing to solve */

  FS_ERR_ARGUMENT = -1,           /* a NULL pointer, a zero-size or inconsistent config */
  FS_ERR_MEMORY = -2,             /* fs_client_create: malloc failed; init: memory too small */
  FS_ERR_SHORT = -3,              /* shorter than its format */
  FS_ERR_LENGTH = -4,             /* longer than its fixed size */
  FS_ERR_MAGIC = -5,              /* wrong magic */
  FS_ERR_VERSION = -6,            /* unknown protocol version */
  FS_ERR_DIFFICULTY = -7,         /* difficulty above FS_MAX_DIFFICULTY_BITS */
  FS_ERR_SUB_PUZZLES = -8,        /* sub-puzzle count not 1, 2, 4, 8 or 16 */
  FS_ERR_CHALLENGE_TOO_HARD = -9, /* more work than max_work_bits: refused, the client carries on */
  FS_ERR_QUEUE_FULL = -10,        /* fs_client_send: the held-packet queue is full */
  FS_ERR_TOO_LARGE = -11,         /* a game packet larger than max_packet_size */
  FS_ERR_BUFFER_TOO_SMALL = -12,  /* fs_client_next_datagram: cap below the next datagram; nothing consumed */
  FS_ERR_EXHAUSTED = -13,         /* no solution in 2^32 tries (never happens with a real edge) */
  FS_ERR_STATE = -14,             /* the call does not fit the client's state (e.g. start twice) */
  FS_ERR_STALE_JOB = -15,         /* fs_client_commit_job: the challenge changed meanwhile */
  FS_ERR_SYSTEM = -16             /* a socket or thread call failed (errno says why) */
} fs_status;

FS_API const char *fs_strerror(int code);

/* ---- pure wire functions (no state, re-entrant) ---- */

/** The fields of a challenge; byte arrays are copies. */
typedef struct fs_challenge {
  uint32_t key_id;
  uint32_t issued_at;      /* UNIX seconds, edge clock */
  uint8_t difficulty;      /* leading zero bits per sub-puzzle */
  uint8_t sub_puzzles;     /* 1, 2, 4, 8, 16 */
  uint8_t nonce[8];
  uint8_t client_address[16]; /* the source the edge saw, IPv4-mapped for IPv4 */
  uint16_t client_port;
  uint8_t tag[16];
  uint8_t raw[FS_CHALLENGE_SIZE]; /* the packet, for building the answer */
} fs_challenge;

/** Decodes a challenge; FS_OK or FS_ERR_SHORT/LENGTH/MAGIC/VERSION/DIFFICULTY/SUB_PUZZLES. Reads only data[0..len). */
FS_API int fs_parse_challenge(const uint8_t *data, size_t len, fs_challenge *out);

/** The claims of a verified token (signature not checked: the client cannot, and need not). */
typedef struct fs_token {
  uint32_t signing_key_id;
  uint32_t issued_at;
  uint32_t expires_at;
  uint8_t client_address[16];
  uint16_t client_port;     /* 0 = any */
  uint8_t target_address[16]; /* all zero = any */
  uint16_t target_port;     /* 0 = any */
} fs_token;

/** Decodes a token; FS_OK or FS_ERR_SHORT/LENGTH/MAGIC/VERSION. `out` may be NULL to validate only. */
FS_API int fs_parse_token(const uint8_t *data, size_t len, fs_token *out);

/** Writes the 64-byte hello into out (cap >= FS_HELLO_SIZE); returns FS_HELLO_SIZE or FS_ERR_BUFFER_TOO_SMALL. */
FS_API int fs_encode_hello(uint8_t *out, size_t cap);

/**
 * Writes an answer: the challenge with magic FSAN, one big-endian u32 per sub-puzzle, then the
 * payload (may be NULL when payload_len is 0). Returns its length, or FS_ERR_BUFFER_TOO_SMALL.
 */
FS_API int fs_encode_answer(const fs_challenge *c, const uint32_t *solutions, const uint8_t *payload, size_t payload_len,
                            uint8_t *out, size_t cap);

/** Mean hashes to solve: sub_puzzles * 2^difficulty. */
FS_API double fs_expected_tries(const fs_challenge *c);

/* ---- proof of work ---- */

/** The search state of one challenge; plain data, can be copied to another thread. */
typedef struct fs_pow {
  uint32_t midstate[8];    /* SHA-256 state after the rounds that see only tag and nonce */
  uint32_t w[6];           /* message words 0..5 (tag, nonce) */
  uint8_t difficulty;
  uint8_t sub_puzzles;
  uint8_t index;           /* sub-puzzle being searched */
  uint8_t exhausted;
  uint32_t candidate;      /* next candidate for `index` */
  uint32_t solutions[FS_MAX_SUB_PUZZLES];
  uint64_t tries;
} fs_pow;

FS_API void fs_pow_init(fs_pow *p, const fs_challenge *c);
/** Tries up to max_hashes candidates; FS_SOLVED, FS_SOLVING, or FS_ERR_EXHAUSTED. */
FS_API int fs_pow_run(fs_pow *p, uint64_t max_hashes);
/** The first 32 bits of SHA-256(tag || nonce || index || solution) (for tests and verifiers). */
FS_API uint32_t fs_pow_first_word(const fs_pow *p, uint8_t index, uint32_t solution);

/* ---- SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) ---- */
typedef struct fs_sha256 {
  uint32_t h[8];
  uint64_t length;
  uint8_t block[64];
  size_t used;
} fs_sha256_ctx;
FS_API void fs_sha256_init(fs_sha256_ctx *s);
FS_API void fs_sha256_update(fs_sha256_ctx *s, const void *data, size_t len);
FS_API void fs_sha256_final(fs_sha256_ctx *s, uint8_t digest[32]);
FS_API void fs_sha256(const void *data, size_t len, uint8_t digest[32]);
FS_API void fs_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t mac[32]);

/* ---- the client ---- */

typedef struct fs_client_config {
  /** Held game packets (while greeting or solving), and packets kept for a resend (default 256). */
  uint32_t max_queued_packets;
  /** Bytes for held and kept packets together (default 64 KiB). */
  uint32_t queue_bytes;
  /** Largest game packet fs_client_send accepts (default 1200). */
  uint32_t max_packet_size;
  /** Largest answer carrying a game packet; larger ones follow it (default 1200). */
  uint32_t max_answer_datagram;
  /** Refuse challenges asking more bits of work (difficulty + log2 sub-puzzles; default 24). */
  uint32_t max_work_bits;
  /** Hold game packets this long after the hello, waiting for a challenge (default 250; 0 = none). */
  uint32_t hold_after_hello_ms;
  /** Keep packets sent before the server answered anything this long, to resend after a challenge (default 3000; 0 = none). */
  uint32_t resend_window_ms;
  /** Send this verified token (FS_TOKEN_SIZE bytes, copied) instead of the hello; NULL for a hello. */
  const uint8_t *token;
  size_t token_len;
  /** 0: send the hello (default). 1: send nothing first. */
  int no_hello;
  /** Set by fs_client_config_default: distinguishes "0 on purpose" from "not set". */
  uint32_t defaults_applied;
} fs_client_config;

/** Fills the defaults above. Always start from it, then change what you need. */
FS_API void fs_client_config_default(fs_client_config *cfg);

typedef struct fs_client fs_client;

/** Bytes fs_client_init needs for cfg (0 when cfg is invalid). */
FS_API size_t fs_client_memory_size(const fs_client_config *cfg);
/** A client in caller memory (aligned like malloc's). Validates the token: FS_ERR_SHORT/LENGTH/MAGIC/VERSION. */
FS_API int fs_client_init(void *memory, size_t size, const fs_client_config *cfg, fs_client **out);
/** fs_client_init in one malloc; free with fs_client_destroy. */
FS_API int fs_client_create(const fs_client_config *cfg, fs_client **out);
FS_API void fs_client_destroy(fs_client *c);

/** Queues the first packet (hello or token) and starts the hold-after-hello window. Once. */
FS_API int fs_client_start(fs_client *c, uint64_t now_ms);

/** Hands over a game packet (copied): sent at the next fs_client_next_datagram, or held. FS_OK, QUEUE_FULL, TOO_LARGE. */
FS_API int fs_client_send(fs_client *c, const uint8_t *data, size_t len, uint64_t now_ms);

/**
 * Every datagram from the server goes here. Returns FS_DATAGRAM_GAME (the game's own data),
 * FS_DATAGRAM_CHALLENGE, FS_DATAGRAM_IGNORED, FS_ERR_CHALLENGE_TOO_HARD (refused; held packets are
 * released), or a parse error (FS_ERR_LENGTH, ...) for a datagram that starts with "FSCH" but is
 * no valid challenge: like the Node SDK, it is then treated as game data (the game may still use
 * or drop it). Never reads beyond data[len).
 */
FS_API int fs_client_on_datagram(fs_client *c, const uint8_t *data, size_t len, uint64_t now_ms);

/** Works on the current challenge for at most max_hashes hashes: FS_SOLVING, FS_SOLVED, FS_IDLE, FS_ERR_EXHAUSTED. */
FS_API int fs_client_solve_step(fs_client *c, uint64_t max_hashes);

/**
 * The next datagram to send to the server: writes it to out and returns its length, 0 when there
 * is nothing to send now, FS_ERR_BUFFER_TOO_SMALL (nothing consumed; use a buffer of
 * max(max_packet_size, max_answer_datagram) bytes). Call until it returns 0.
 */
FS_API int fs_client_next_datagram(fs_client *c, uint8_t *out, size_t cap, uint64_t now_ms);

/** True while a challenge is being solved. */
FS_API int fs_client_solving(const fs_client *c);
/** Milliseconds until fs_client_next_datagram may have something because of time alone (-1: none pending). */
FS_API int64_t fs_client_next_timeout(const fs_client *c, uint64_t now_ms);

typedef struct fs_client_stats {
  uint32_t challenges;          /* accepted and solved or being solved */
  uint32_t ignored_challenges;  /* duplicates and too-hard ones */
  uint32_t solved;
  uint32_t malformed;           /* "FSCH" datagrams that were no valid challenge */
  uint32_t queued;              /* game packets held now */
  uint64_t last_solve_tries;    /* hashes of the last solve */
  uint32_t last_difficulty;
  uint32_t last_sub_puzzles;
  int last_error;               /* the last error code a call returned (0 = none) */
} fs_client_stats;
FS_API void fs_client_get_stats(const fs_client *c, fs_client_stats *out);

/* ---- solving elsewhere: take a job, run it without the client, commit it ---- */
typedef struct fs_solve_job {
  fs_pow pow;
  uint32_t generation;   /* which challenge it belongs to */
} fs_solve_job;
/** Copies the current search into job: FS_OK, or FS_IDLE when not solving. */
FS_API int fs_client_take_job(const fs_client *c, fs_solve_job *job);
/** Adopts the job's progress: FS_SOLVED, FS_SOLVING, FS_ERR_EXHAUSTED, or FS_ERR_STALE_JOB. */
FS_API int fs_client_commit_job(fs_client *c, const fs_solve_job *job);

#ifdef __cplusplus
}
#endif
#endif
