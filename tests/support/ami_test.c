/*
 * ami_test.c -- helpers for unit tests (see ami_test.h).
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ami/ami_hex.h"

uint8_t *ami_test_hex(const char *hex, size_t *len) {
  size_t tl = strlen(hex);
  uint8_t *out = malloc(tl / 2 + 1);
  assert_non_null(out);
  size_t pos = 0;
  long n = ami_hex_decode(hex, tl, out, tl / 2 + 1, &pos);
  if (n < 0)
    fail_msg("bad hex in test at offset %zu: %s", pos, hex);
  *len = (size_t)n;
  return out;
}

void ami_test_assert_bytes(const uint8_t *p, size_t n, const char *hex) {
  size_t en;
  uint8_t *exp = ami_test_hex(hex, &en);
  size_t i = 0;
  while (i < n && i < en && p[i] == exp[i])
    i++;
  if (i != n || i != en) {
    char got[2048], want[2048];
    ami_hex_encode(p, n, 0, got, sizeof got);
    ami_hex_encode(exp, en, 0, want, sizeof want);
    free(exp);
    fail_msg(
        "bytes differ at offset %zu (got %zu bytes, want %zu)\n got:  %s\n "
        "want: %s",
        i, n, en, got, want);
  }
  free(exp);
}

const char *ami_test_shared_path(const char *relative) {
  static char path[4096];
  const char *dir = getenv("AMI_SHARED_DIR");
  if (dir == NULL || *dir == '\0')
    dir = "../shared";
  snprintf(path, sizeof path, "%s/%s", dir, relative);
  if (access(path, R_OK) != 0) {
    /* shared/ absent: the caller skips, as it must. shared/ present but
     * this file not in it: a wrong path in the test, which would otherwise
     * skip silently forever -- fail instead. */
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/README.md", dir);
    if (access(probe, R_OK) == 0)
      fail_msg("%s is not in shared/ (%s): wrong path in the test?", relative,
               dir);
    return NULL;
  }
  return path;
}

char *ami_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *nb = realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf)
    return NULL;
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static size_t page_size(void) {
  return (size_t)sysconf(_SC_PAGESIZE);
}

uint8_t *ami_test_guarded_copy(const uint8_t *p, size_t n) {
  size_t ps = page_size();
  size_t data_pages = (n + ps - 1) / ps;
  if (data_pages == 0)
    data_pages = 1;
  size_t total = (data_pages + 1) * ps;
  uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(base != MAP_FAILED);
  assert_int_equal(mprotect(base + data_pages * ps, ps, PROT_NONE), 0);
  uint8_t *g = base + data_pages * ps - n;
  if (n)
    memcpy(g, p, n);
  return g;
}

void ami_test_guarded_free(uint8_t *g, size_t n) {
  size_t ps = page_size();
  size_t data_pages = (n + ps - 1) / ps;
  if (data_pages == 0)
    data_pages = 1;
  uint8_t *base = g + n - data_pages * ps;
  munmap(base, (data_pages + 1) * ps);
}

static void *fa_malloc(size_t size, void *ud) {
  ami_test_failalloc *fa = ud;
  if (fa->calls++ == fa->fail_at)
    return NULL;
  void *p = malloc(size);
  if (p)
    fa->live++;
  return p;
}

static void *fa_realloc(void *ptr, size_t size, void *ud) {
  ami_test_failalloc *fa = ud;
  if (fa->calls++ == fa->fail_at)
    return NULL;
  void *p = realloc(ptr, size);
  if (p && ptr == NULL)
    fa->live++;
  return p;
}

static void fa_free(void *ptr, void *ud) {
  ami_test_failalloc *fa = ud;
  if (ptr)
    fa->live--;
  free(ptr);
}

void ami_test_failalloc_init(ami_test_failalloc *fa, long fail_at) {
  fa->base.malloc = fa_malloc;
  fa->base.realloc = fa_realloc;
  fa->base.free = fa_free;
  fa->base.user_data = fa;
  fa->fail_at = fail_at;
  fa->calls = 0;
  fa->live = 0;
}
