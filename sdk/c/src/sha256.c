/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), plus the one-block proof-of-work hash. */
#include <string.h>
#include "flowshield.h"
#include "internal.h"

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t IV[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) (ROTR(x, 2) ^ ROTR(x, 13) ^ ROTR(x, 22))
#define S1(x) (ROTR(x, 6) ^ ROTR(x, 11) ^ ROTR(x, 25))
#define G0(x) (ROTR(x, 7) ^ ROTR(x, 18) ^ ((x) >> 3))
#define G1(x) (ROTR(x, 17) ^ ROTR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))

uint32_t fs_load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void fs_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Rounds [from, 64) of the compression on state s with the message schedule w (16 words given). */
static void rounds(uint32_t s[8], uint32_t w[64], int from) {
  uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
  int t;
  for (t = 16; t < 64; t++) w[t] = G1(w[t - 2]) + w[t - 7] + G0(w[t - 15]) + w[t - 16];
  for (t = from; t < 64; t++) {
    uint32_t t1 = h + S1(e) + CH(e, f, g) + K[t] + w[t];
    uint32_t t2 = S0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  s[0] = a; s[1] = b; s[2] = c; s[3] = d; s[4] = e; s[5] = f; s[6] = g; s[7] = h;
}

static void compress(uint32_t h[8], const uint8_t block[64]) {
  uint32_t w[64], s[8];
  int i;
  for (i = 0; i < 16; i++) w[i] = fs_load_be32(block + 4 * i);
  memcpy(s, h, sizeof s);
  rounds(s, w, 0);
  for (i = 0; i < 8; i++) h[i] += s[i];
}

void fs_sha256_init(fs_sha256_ctx *s) {
  memcpy(s->h, IV, sizeof IV);
  s->length = 0;
  s->used = 0;
}

void fs_sha256_update(fs_sha256_ctx *s, const void *data, size_t len) {
  const uint8_t *p = (const uint8_t *)data;
  s->length += (uint64_t)len;
  while (len > 0) {
    size_t take = 64 - s->used;
    if (take > len) take = len;
    memcpy(s->block + s->used, p, take);
    s->used += take;
    p += take;
    len -= take;
    if (s->used == 64) {
      compress(s->h, s->block);
      s->used = 0;
    }
  }
}

void fs_sha256_final(fs_sha256_ctx *s, uint8_t digest[32]) {
  uint64_t bits = s->length * 8;
  int i;
  s->block[s->used++] = 0x80;
  if (s->used > 56) {
    memset(s->block + s->used, 0, 64 - s->used);
    compress(s->h, s->block);
    s->used = 0;
  }
  memset(s->block + s->used, 0, 56 - s->used);
  fs_store_be32(s->block + 56, (uint32_t)(bits >> 32));
  fs_store_be32(s->block + 60, (uint32_t)bits);
  compress(s->h, s->block);
  for (i = 0; i < 8; i++) fs_store_be32(digest + 4 * i, s->h[i]);
  memset(s, 0, sizeof *s);
}

void fs_sha256(const void *data, size_t len, uint8_t digest[32]) {
  fs_sha256_ctx s;
  fs_sha256_init(&s);
  fs_sha256_update(&s, data, len);
  fs_sha256_final(&s, digest);
}

void fs_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len, uint8_t mac[32]) {
  uint8_t k[64], pad[64], inner[32];
  fs_sha256_ctx s;
  int i;
  memset(k, 0, sizeof k);
  if (key_len > 64) fs_sha256(key, key_len, k);
  else if (key_len > 0) memcpy(k, key, key_len);
  for (i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x36);
  fs_sha256_init(&s);
  fs_sha256_update(&s, pad, 64);
  fs_sha256_update(&s, data, len);
  fs_sha256_final(&s, inner);
  for (i = 0; i < 64; i++) pad[i] = (uint8_t)(k[i] ^ 0x5c);
  fs_sha256_init(&s);
  fs_sha256_update(&s, pad, 64);
  fs_sha256_update(&s, inner, 32);
  fs_sha256_final(&s, mac);
}

/*
 * Proof of work: SHA-256(tag(16) || nonce(8) || index(1) || solution(4 BE)) is 29 bytes, one padded
 * block. Words 0..5 (tag, nonce) are fixed per challenge, so the first six rounds are done once
 * (the midstate); only the first digest word decides the difficulty (<= 26 bits).
 */
#define POW_FIXED_ROUNDS 6

void fs_pow_midstate(const uint8_t tag[16], const uint8_t nonce[8], uint32_t w[6], uint32_t mid[8]) {
  uint32_t a, b, c, d, e, f, g, h;
  int t;
  for (t = 0; t < 4; t++) w[t] = fs_load_be32(tag + 4 * t);
  w[4] = fs_load_be32(nonce);
  w[5] = fs_load_be32(nonce + 4);
  a = IV[0]; b = IV[1]; c = IV[2]; d = IV[3]; e = IV[4]; f = IV[5]; g = IV[6]; h = IV[7];
  for (t = 0; t < POW_FIXED_ROUNDS; t++) {
    uint32_t t1 = h + S1(e) + CH(e, f, g) + K[t] + w[t];
    uint32_t t2 = S0(a) + MAJ(a, b, c);
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  mid[0] = a; mid[1] = b; mid[2] = c; mid[3] = d; mid[4] = e; mid[5] = f; mid[6] = g; mid[7] = h;
}

uint32_t fs_pow_hash(const uint32_t w6[6], const uint32_t mid[8], uint8_t index, uint32_t solution) {
  uint32_t w[64], s[8];
  memcpy(w, w6, 6 * sizeof(uint32_t));
  w[6] = ((uint32_t)index << 24) | (solution >> 8);
  w[7] = (solution << 24) | 0x00800000u;
  w[8] = w[9] = w[10] = w[11] = w[12] = w[13] = w[14] = 0;
  w[15] = 29 * 8;
  memcpy(s, mid, sizeof s);
  rounds(s, w, POW_FIXED_ROUNDS);
  return IV[0] + s[0];
}
