/* A minimal test harness for the C SDK's tests (no dependency). */
#ifndef FS_TESTING_H
#define FS_TESTING_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static int fs_test_failures = 0;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); fs_test_failures++; } } while (0)
#define CHECK_EQ(a, b) do { long long _a = (long long)(a), _b = (long long)(b); if (_a != _b) { fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a, _a, #b, _b); fs_test_failures++; } } while (0)
#define TEST_DONE(name) do { if (fs_test_failures) { fprintf(stderr, "%s: %d failure(s)\n", name, fs_test_failures); return 1; } printf("%s: ok\n", name); return 0; } while (0)

static inline size_t fs_unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = strlen(hex) / 2, i;
  if (n > cap) n = cap;
  for (i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) return i;
    out[i] = (uint8_t)v;
  }
  return n;
}
#endif
