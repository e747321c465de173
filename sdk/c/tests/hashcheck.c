/*
 * Reads lines "KEYHEX MSGHEX" ("-" for empty) on stdin and prints "SHA256HEX HMACHEX" for each:
 * the node test compares them with node:crypto on random inputs.
 */
#include "flowshield.h"
#include "testing.h"

static void print_hex(const uint8_t *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) printf("%02x", b[i]);
}

int main(void) {
  static char line[20000];
  static uint8_t key[4096], msg[8192];
  while (fgets(line, sizeof line, stdin)) {
    char *m = strchr(line, ' ');
    size_t kl, ml;
    uint8_t d[32], mac[32];
    if (!m) continue;
    *m++ = '\0';
    m[strcspn(m, "\n")] = '\0';
    kl = line[0] == '-' ? 0 : fs_unhex(line, key, sizeof key);
    ml = m[0] == '-' ? 0 : fs_unhex(m, msg, sizeof msg);
    fs_sha256(msg, ml, d);
    fs_hmac_sha256(key, kl, msg, ml, mac);
    print_hex(d, 32);
    putchar(' ');
    print_hex(mac, 32);
    putchar('\n');
  }
  return fs_test_failures;
}
