/*
 * The client state machine, the same as sdk/client's FlowshieldSocket (see its README): hello,
 * hold after hello, challenge → solve → answer carrying the first held packet → the rest in order,
 * resend window, late duplicates ignored, max_work_bits. Time comes from the caller.
 */
#include <stdlib.h>
#include <string.h>
#include "flowshield.h"
#include "internal.h"

#define CONFIG_MAGIC 0x46534346u /* "FSCF" */

enum state { ST_NEW, ST_GREETING, ST_OPEN, ST_SOLVING };

/* A game packet in the byte ring: held (not sent yet) or sent and kept for a resend. */
typedef struct record {
  uint32_t offset;
  uint32_t len;
  uint64_t at; /* when it was sent (kept packets) */
} record;

struct fs_client {
  fs_client_config cfg;
  uint8_t token[FS_TOKEN_SIZE];
  int has_token;
  enum state state;
  int started;
  uint64_t greet_until;
  int first_pending;  /* hello or token not yet handed out */
  int answer_pending; /* solved, answer not yet handed out */
  fs_challenge challenge;
  fs_pow pow;
  uint32_t generation;
  int64_t answered_issued_at; /* issue time of the challenge answered last; -1 none */
  uint64_t answered_at_ms;    /* local time it was solved */
  fs_client_stats stats;
  /* Records [first, first+count) in a ring of nrec; the first `kept` are sent-and-kept, the rest held. */
  record *rec;
  uint32_t nrec, first, count, kept;
  uint8_t *bytes;
  uint32_t nbytes, head, tail; /* byte ring: oldest record starts at head, the next goes at tail */
};

void fs_client_config_default(fs_client_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_queued_packets = 256;
  cfg->queue_bytes = 64 * 1024;
  cfg->max_packet_size = 1200;
  cfg->max_answer_datagram = 1200;
  cfg->max_work_bits = 24;
  cfg->hold_after_hello_ms = 250;
  cfg->resend_window_ms = 3000;
  cfg->defaults_applied = CONFIG_MAGIC;
}

static size_t align8(size_t n) { return (n + 7u) & ~(size_t)7u; }

size_t fs_client_memory_size(const fs_client_config *cfg) {
  if (cfg == NULL || cfg->defaults_applied != CONFIG_MAGIC) return 0;
  if (cfg->max_queued_packets == 0 || cfg->max_queued_packets > (1u << 20) || cfg->max_packet_size == 0 ||
      cfg->queue_bytes < cfg->max_packet_size || cfg->queue_bytes > (1u << 30))
    return 0;
  return align8(sizeof(fs_client)) + align8(sizeof(record) * 2u * cfg->max_queued_packets) + align8(cfg->queue_bytes);
}

static int fail(fs_client *c, int code) {
  c->stats.last_error = code;
  return code;
}

int fs_client_init(void *memory, size_t size, const fs_client_config *cfg, fs_client **out) {
  size_t need = fs_client_memory_size(cfg);
  fs_client *c;
  int r;
  if (out == NULL) return FS_ERR_ARGUMENT;
  *out = NULL;
  if (need == 0 || memory == NULL) return FS_ERR_ARGUMENT;
  if (size < need) return FS_ERR_MEMORY;
  if (cfg->token != NULL && (r = fs_parse_token(cfg->token, cfg->token_len, NULL)) != FS_OK) return r;
  memset(memory, 0, need);
  c = (fs_client *)memory;
  c->cfg = *cfg;
  c->cfg.token = NULL;
  if (cfg->token != NULL) {
    memcpy(c->token, cfg->token, FS_TOKEN_SIZE);
    c->has_token = 1;
  }
  c->state = ST_NEW;
  c->answered_issued_at = -1;
  c->nrec = 2u * cfg->max_queued_packets; /* held ones plus as many kept ones */
  c->rec = (record *)((uint8_t *)memory + align8(sizeof(fs_client)));
  c->bytes = (uint8_t *)memory + align8(sizeof(fs_client)) + align8(sizeof(record) * c->nrec);
  c->nbytes = cfg->queue_bytes;
  *out = c;
  return FS_OK;
}

int fs_client_create(const fs_client_config *cfg, fs_client **out) {
  size_t need = fs_client_memory_size(cfg);
  void *memory;
  int r;
  if (out == NULL) return FS_ERR_ARGUMENT;
  *out = NULL;
  if (need == 0) return FS_ERR_ARGUMENT;
  memory = malloc(need);
  if (memory == NULL) return FS_ERR_MEMORY;
  r = fs_client_init(memory, need, cfg, out);
  if (r != FS_OK) free(memory);
  return r;
}

void fs_client_destroy(fs_client *c) { free(c); }

/* ---- the packet ring ---- */

static record *rec_at(fs_client *c, uint32_t i) { return &c->rec[(c->first + i) % c->nrec]; }

static void pop_front(fs_client *c) {
  c->first = (c->first + 1) % c->nrec;
  c->count--;
  if (c->kept > 0) c->kept--;
  if (c->count == 0) c->head = c->tail = 0;
  else c->head = rec_at(c, 0)->offset;
}

/* Where a record of len bytes would go, or -1 when it does not fit now. */
static int64_t place(const fs_client *c, uint32_t len) {
  if (c->count == 0) return len <= c->nbytes ? 0 : -1;
  if (c->count == c->nrec) return -1;
  if (c->tail > c->head) {
    if (c->nbytes - c->tail >= len) return c->tail;
    return c->head >= len ? 0 : -1;
  }
  return c->head - c->tail >= len ? (int64_t)c->tail : -1;
}

static void clear_kept(fs_client *c) {
  while (c->kept > 0) pop_front(c);
}

/* A challenge: the edge dropped what we sent lately, so the kept packets (within the window) are held again. */
static void requeue_kept(fs_client *c, uint64_t now) {
  while (c->kept > 0 && rec_at(c, 0)->at + c->cfg.resend_window_ms < now) pop_front(c);
  while (c->count > c->cfg.max_queued_packets) pop_front(c); /* room for the held limit: the oldest go */
  c->kept = 0;
}

/* The first held packet went out: keep it for a resend, or forget it. */
static void mark_sent(fs_client *c, uint64_t now) {
  if (c->cfg.resend_window_ms == 0) {
    pop_front(c); /* nothing is kept, so the first held one is the front */
    return;
  }
  rec_at(c, c->kept)->at = now;
  c->kept++;
  if (c->kept > c->cfg.max_queued_packets) pop_front(c);
}

static uint32_t held(const fs_client *c) { return c->count - c->kept; }

/* ---- state ---- */

static void advance(fs_client *c, uint64_t now) {
  if (c->state == ST_GREETING && now >= c->greet_until) c->state = ST_OPEN;
}

int fs_client_start(fs_client *c, uint64_t now_ms) {
  uint32_t hold;
  if (c == NULL) return FS_ERR_ARGUMENT;
  if (c->started) return fail(c, FS_ERR_STATE);
  c->started = 1;
  c->first_pending = c->has_token || !c->cfg.no_hello;
  /* As in the Node SDK: a hello holds packets for a while; a token or no first packet does not. */
  hold = c->has_token || c->cfg.no_hello ? 0 : c->cfg.hold_after_hello_ms;
  if (c->state == ST_NEW) {
    if (hold > 0) {
      c->state = ST_GREETING;
      c->greet_until = now_ms + hold;
    } else {
      c->state = ST_OPEN;
    }
  }
  return FS_OK;
}

int fs_client_send(fs_client *c, const uint8_t *data, size_t len, uint64_t now_ms) {
  int64_t at;
  record *r;
  if (c == NULL || data == NULL || len == 0) return FS_ERR_ARGUMENT; /* edges drop empty datagrams */
  advance(c, now_ms);
  if (len > c->cfg.max_packet_size) return fail(c, FS_ERR_TOO_LARGE);
  if (held(c) >= c->cfg.max_queued_packets) return fail(c, FS_ERR_QUEUE_FULL);
  /* Kept packets are only insurance: they make room for a held one. */
  while ((at = place(c, (uint32_t)len)) < 0 && c->kept > 0) pop_front(c);
  if (at < 0) return fail(c, FS_ERR_QUEUE_FULL);
  r = &c->rec[(c->first + c->count) % c->nrec];
  r->offset = (uint32_t)at;
  r->len = (uint32_t)len;
  r->at = now_ms;
  memcpy(c->bytes + at, data, len);
  if (c->count == 0) c->head = (uint32_t)at;
  c->tail = (uint32_t)at + (uint32_t)len;
  c->count++;
  return FS_OK;
}

/* How far back (issue time, and local time since solving) a challenge counts as a late duplicate. */
#define LATE_DUPLICATE_SECONDS 5

/* A late duplicate of the burst already answered (the edge challenges each packet of an unknown
 * source, up to its per-source burst) must not cost a second solve. Only one issued shortly before
 * the answered one and arriving shortly after counts: whoever can spoof the server's address could
 * send a challenge dated far in the future, and "not later than" alone would then ignore every
 * genuine challenge until the client reconnects. */
static int is_late_duplicate(const fs_client *c, const fs_challenge *ch, uint64_t now) {
  int64_t issued = (int64_t)ch->issued_at;
  return c->answered_issued_at >= 0 && issued <= c->answered_issued_at &&
         c->answered_issued_at - issued <= LATE_DUPLICATE_SECONDS &&
         now - c->answered_at_ms <= (uint64_t)LATE_DUPLICATE_SECONDS * 1000u;
}

static int on_challenge(fs_client *c, const fs_challenge *ch, uint64_t now) {
  uint32_t work = ch->difficulty, n = ch->sub_puzzles;
  if (c->state == ST_SOLVING || c->answer_pending || is_late_duplicate(c, ch, now)) {
    /* Already solving (or its answer not handed out yet), or a late duplicate. */
    c->stats.ignored_challenges++;
    return FS_DATAGRAM_IGNORED;
  }
  while (n > 1) { work++; n >>= 1; }
  if (work > c->cfg.max_work_bits) {
    /* Whoever can spoof the server's address can send a challenge: this bounds what it costs. */
    c->stats.ignored_challenges++;
    if (c->state == ST_GREETING) c->state = ST_OPEN;
    return fail(c, FS_ERR_CHALLENGE_TOO_HARD);
  }
  c->stats.challenges++;
  c->stats.last_difficulty = ch->difficulty;
  c->stats.last_sub_puzzles = ch->sub_puzzles;
  c->challenge = *ch;
  c->state = ST_SOLVING;
  c->generation++;
  requeue_kept(c, now);
  fs_pow_init(&c->pow, ch);
  return FS_DATAGRAM_CHALLENGE;
}

int fs_client_on_datagram(fs_client *c, const uint8_t *data, size_t len, uint64_t now_ms) {
  fs_challenge parsed;
  int r;
  if (c == NULL || (data == NULL && len > 0)) return FS_ERR_ARGUMENT;
  advance(c, now_ms);
  if (len >= 4 && data[0] == 'F' && data[1] == 'S' && data[2] == 'C' && data[3] == 'H') {
    r = fs_parse_challenge(data, len, &parsed);
    if (r == FS_OK) return on_challenge(c, &parsed, now_ms);
    /* Starts like a challenge but is none: game data, as in the Node SDK. */
    c->stats.malformed++;
    c->stats.last_error = r;
    clear_kept(c);
    return r;
  }
  clear_kept(c); /* the server answered: what we sent got through */
  return FS_DATAGRAM_GAME;
}

static int after_progress(fs_client *c, int r) {
  if (r == FS_SOLVED) {
    c->stats.solved++;
    c->stats.last_solve_tries = c->pow.tries;
    c->state = ST_OPEN;
    c->answered_issued_at = (int64_t)c->challenge.issued_at;
    c->answer_pending = 1;
  } else if (r == FS_ERR_EXHAUSTED) {
    c->state = ST_OPEN; /* let the game's packets go; the edge will challenge again */
    return fail(c, r);
  }
  return r;
}

int fs_client_solve_step(fs_client *c, uint64_t max_hashes) {
  if (c == NULL) return FS_ERR_ARGUMENT;
  if (c->state != ST_SOLVING) return FS_IDLE;
  return after_progress(c, fs_pow_run(&c->pow, max_hashes));
}

int fs_client_take_job(const fs_client *c, fs_solve_job *job) {
  if (c == NULL || job == NULL) return FS_ERR_ARGUMENT;
  if (c->state != ST_SOLVING) return FS_IDLE;
  job->pow = c->pow;
  job->generation = c->generation;
  return FS_OK;
}

int fs_client_commit_job(fs_client *c, const fs_solve_job *job) {
  if (c == NULL || job == NULL) return FS_ERR_ARGUMENT;
  if (c->state != ST_SOLVING || job->generation != c->generation) return FS_ERR_STALE_JOB;
  c->pow = job->pow;
  if (c->pow.exhausted) return after_progress(c, FS_ERR_EXHAUSTED);
  return after_progress(c, c->pow.index >= c->pow.sub_puzzles ? FS_SOLVED : FS_SOLVING);
}

int fs_client_next_datagram(fs_client *c, uint8_t *out, size_t cap, uint64_t now_ms) {
  record *r;
  if (c == NULL || out == NULL) return FS_ERR_ARGUMENT;
  advance(c, now_ms);
  if (c->first_pending) {
    /* Never smaller than a challenge, so the edge may answer it with one without amplifying. */
    if (c->has_token) {
      if (cap < FS_TOKEN_SIZE) return fail(c, FS_ERR_BUFFER_TOO_SMALL);
      memcpy(out, c->token, FS_TOKEN_SIZE);
      c->first_pending = 0;
      return FS_TOKEN_SIZE;
    }
    if (cap < FS_HELLO_SIZE) return fail(c, FS_ERR_BUFFER_TOO_SMALL);
    c->first_pending = 0;
    return fs_encode_hello(out, cap);
  }
  if (c->answer_pending) {
    size_t head = FS_ANSWER_HEADER_SIZE + 4u * c->challenge.sub_puzzles;
    int n;
    r = held(c) > 0 ? rec_at(c, c->kept) : NULL;
    if (cap < head) return fail(c, FS_ERR_BUFFER_TOO_SMALL);
    /* The first held packet rides in the answer: the edge forwards it once the answer verifies. */
    if (r != NULL && head + r->len <= c->cfg.max_answer_datagram && head + r->len <= cap) {
      n = fs_encode_answer(&c->challenge, c->pow.solutions, c->bytes + r->offset, r->len, out, cap);
      mark_sent(c, now_ms); /* refused answer → new challenge → the carried packet goes again */
    } else {
      n = fs_encode_answer(&c->challenge, c->pow.solutions, NULL, 0, out, cap);
    }
    c->answer_pending = 0;
    c->answered_at_ms = now_ms;
    return n;
  }
  if (c->state != ST_OPEN || held(c) == 0) return 0;
  r = rec_at(c, c->kept);
  if (cap < r->len) return fail(c, FS_ERR_BUFFER_TOO_SMALL);
  if (r->len > 0) memcpy(out, c->bytes + r->offset, r->len);
  mark_sent(c, now_ms);
  return (int)r->len;
}

int fs_client_solving(const fs_client *c) { return c != NULL && c->state == ST_SOLVING; }

int64_t fs_client_next_timeout(const fs_client *c, uint64_t now_ms) {
  if (c == NULL) return -1;
  if (c->first_pending || c->answer_pending) return 0;
  if (c->state == ST_OPEN && c->count > c->kept) return 0;
  if (c->state == ST_GREETING) return c->greet_until > now_ms ? (int64_t)(c->greet_until - now_ms) : 0;
  return -1;
}

void fs_client_get_stats(const fs_client *c, fs_client_stats *out) {
  if (c == NULL || out == NULL) return;
  *out = c->stats;
  out->queued = c->count - c->kept;
}
