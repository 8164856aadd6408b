/*
 * ami_test.h -- shared helpers for the cmocka unit tests.
 *
 * Include after <stdarg.h>, <stddef.h>, <stdint.h>, <setjmp.h> and
 * <cmocka.h> (cmocka's documented include order); this header includes them.
 */
#ifndef AMI_TEST_H
#define AMI_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ami/ami_alloc.h"
#include "ami/ami_err.h"

/* Assert that an OpenAMI call returned `expected`, printing both names. */
#define assert_ami(expected, call)                                             \
  do {                                                                         \
    int ami__got = (call);                                                     \
    if (ami__got != (expected))                                                \
      fail_msg("%s returned %s (%d), expected %s (%d)", #call,                 \
               ami_err_name(ami__got), ami__got, ami_err_name(expected),       \
               (int)(expected));                                               \
  } while (0)

#define assert_ami_ok(call) assert_ami(AMI_OK, call)

/* Decode hex (spaces allowed) into a malloc'd buffer; fails the test on bad
 * hex. Returns owned memory (free with free()); *len receives the length. */
uint8_t *ami_test_hex(const char *hex, size_t *len);

/* Assert that buffer (p, n) equals the bytes written in `hex`; on mismatch
 * prints both in hex and the first differing offset. */
void ami_test_assert_bytes(const uint8_t *p, size_t n, const char *hex);

/* Path of a file under the shared/ folder (AMI_SHARED_DIR), or NULL when
 * shared/ is absent -- callers then skip() with a clear message. Fails the
 * test when shared/ is present but the file is not (a wrong path must not
 * skip silently). Returns a pointer to a static buffer, valid until the
 * next call. */
const char *ami_test_shared_path(const char *relative);

/* Read a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *ami_test_read_file(const char *path, size_t *len);

/* A copy of (p, n) placed so that its last byte is immediately followed by an
 * inaccessible page: any over-read faults at once (picohttpparser's trick).
 * Free with ami_test_guarded_free. */
uint8_t *ami_test_guarded_copy(const uint8_t *p, size_t n);
void ami_test_guarded_free(uint8_t *g, size_t n);

/* An allocator that fails its `fail_at`-th call (counting from 0; -1 never)
 * and counts calls and live blocks: the failmalloc idea of nghttp2/SQLite. */
typedef struct ami_test_failalloc {
  ami_allocator base;
  long fail_at;
  long calls;
  long live;
} ami_test_failalloc;

void ami_test_failalloc_init(ami_test_failalloc *fa, long fail_at);

#endif /* AMI_TEST_H */
