/* Helpers shared by the library's own files; not part of the API. */
#ifndef FLOWSHIELD_INTERNAL_H
#define FLOWSHIELD_INTERNAL_H
#include <stdint.h>

uint32_t fs_load_be32(const uint8_t *p);
void fs_store_be32(uint8_t *p, uint32_t v);
void fs_pow_midstate(const uint8_t tag[16], const uint8_t nonce[8], uint32_t w[6], uint32_t mid[8]);
uint32_t fs_pow_hash(const uint32_t w[6], const uint32_t mid[8], uint8_t index, uint32_t solution);
#endif
