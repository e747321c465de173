/* Reads challenge packets (hex, one a line) on stdin, solves each with the C SDK's fs_pow, prints
 * "<ms> <tries>" per line. Built and driven by run.mjs. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "flowshield.h"

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(void) {
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    uint8_t b[FS_CHALLENGE_SIZE];
    fs_challenge c;
    fs_pow p;
    size_t i;
    double start;
    for (i = 0; i < FS_CHALLENGE_SIZE; i++) {
      unsigned v;
      if (sscanf(line + 2 * i, "%2x", &v) != 1) return 1;
      b[i] = (uint8_t)v;
    }
    if (fs_parse_challenge(b, sizeof b, &c) != FS_OK) return 1;
    start = now_ms();
    fs_pow_init(&p, &c);
    while (fs_pow_run(&p, 1 << 16) == FS_SOLVING) {}
    printf("%.4f %llu\n", now_ms() - start, (unsigned long long)p.tries);
  }
  return 0;
}
