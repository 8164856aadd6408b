/*
 * test_core.c -- lib/core: error list, hex, CRC-16/X.25, calendar, dynbuf.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_buf.h"
#include "ami/ami_caltime.h"
#include "ami/ami_crc.h"
#include "ami/ami_hex.h"

static void test_err_names(void **state) {
  (void)state;
  assert_string_equal(ami_err_name(AMI_OK), "AMI_E_OK");
  assert_string_equal(ami_err_name(AMI_E_TRUNCATED), "AMI_E_TRUNCATED");
  assert_string_equal(ami_err_name(12345), "AMI_E_UNKNOWN");
  assert_string_equal(ami_strerror(AMI_E_HDLC_FCS),
                      "HDLC frame check sequence mismatch");
  /* Every error is negative and every code has a distinct name. */
#define X(name, value, msg)                                                    \
  assert_true((value) <= 0);                                                   \
  assert_string_equal(ami_err_name(value), "AMI_E_" #name);
  AMI_ERR_MAP(X)
#undef X
}

/* The table must equal the bit-serial definition of the polynomial. */
static void test_crc_table_matches_polynomial(void **state) {
  (void)state;
  const uint16_t *t = ami__crc16_x25_table();
  for (unsigned i = 0; i < 256; i++) {
    unsigned c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ 0x8408u : c >> 1;
    assert_int_equal(t[i], c);
  }
}

static uint16_t crc_bitwise(const uint8_t *p, size_t n) {
  unsigned c = 0xFFFF;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? (c >> 1) ^ 0x8408u : c >> 1;
  }
  return (uint16_t)~c;
}

static void test_crc_vectors(void **state) {
  (void)state;
  /* The catalogue check value of CRC-16/X.25 (CRC-16/IBM-SDLC). */
  assert_int_equal(ami_crc16_x25((const uint8_t *)"123456789", 9), 0x906E);
  /* ../shared/vectors/dlms/VECTORS.md §3: header A0 07 03 21 93 has the
   * CRC transmitted as 0F 01 (LSB first), i.e. the value 0x010F. */
  const uint8_t hdr[] = {0xA0, 0x07, 0x03, 0x21, 0x93};
  assert_int_equal(ami_crc16_x25(hdr, sizeof hdr), 0x010F);
  /* Slice-by-4 equals the bit-serial form for every length and alignment. */
  uint8_t buf[300];
  for (size_t i = 0; i < sizeof buf; i++)
    buf[i] = (uint8_t)(i * 37 + 11);
  for (size_t off = 0; off < 4; off++)
    for (size_t n = 0; n + off <= sizeof buf; n += 7)
      assert_int_equal(ami_crc16_x25(buf + off, n), crc_bitwise(buf + off, n));
}

static void test_hex(void **state) {
  (void)state;
  uint8_t out[8];
  size_t pos = 99;
  assert_int_equal(ami_hex_decode("7E a0:07-03 21", 14, out, sizeof out, &pos),
                   5);
  assert_memory_equal(out, "\x7e\xa0\x07\x03\x21", 5);
  assert_int_equal(ami_hex_decode("0x0102", 6, out, sizeof out, NULL), 2);
  assert_int_equal(ami_hex_decode("7E A", 4, out, sizeof out, &pos),
                   AMI_E_SYNTAX);
  assert_int_equal(pos, 3);
  assert_int_equal(ami_hex_decode("7G", 2, out, sizeof out, &pos),
                   AMI_E_SYNTAX);
  assert_int_equal(pos, 1);
  assert_int_equal(ami_hex_decode("010203", 6, out, 2, NULL),
                   AMI_E_BUFFER_FULL);
  char txt[16];
  assert_int_equal(ami_hex_encode(out, 2, ' ', txt, sizeof txt), 5);
  assert_string_equal(txt, "01 02");
  /* Truncated output is still NUL-terminated. */
  assert_int_equal(ami_hex_encode((const uint8_t *)"\xAB\xCD", 2, 0, txt, 3),
                   4);
  assert_string_equal(txt, "AB");
}

static void test_caltime(void **state) {
  (void)state;
  assert_int_equal(ami_days_from_civil(1970, 1, 1), 0);
  assert_int_equal(ami_days_from_civil(2000, 3, 1), 11017);
  assert_int_equal(ami_days_from_civil(1969, 12, 31), -1);
  assert_int_equal(ami_weekday_from_days(0), 4);  /* Thursday */
  assert_int_equal(ami_weekday_from_days(-1), 3); /* Wednesday */
  /* 2026-11-22 is a Sunday. */
  assert_int_equal(ami_weekday_from_days(ami_days_from_civil(2026, 11, 22)), 7);
  for (int64_t d = -800000; d < 800000; d += 97) {
    int32_t y;
    unsigned m, dd;
    ami_civil_from_days(d, &y, &m, &dd);
    assert_int_equal(ami_days_from_civil(y, m, dd), d);
    assert_true(dd >= 1 && dd <= ami_days_in_month(y, m));
  }
  assert_int_equal(ami_days_in_month(2024, 2), 29);
  assert_int_equal(ami_days_in_month(1900, 2), 28);
  assert_int_equal(ami_days_in_month(2000, 2), 29);
  assert_int_equal(ami_days_in_month(2023, 13), 0);
}

static void test_dynbuf_limits_and_oom(void **state) {
  (void)state;
  ami_dynbuf b;
  ami_dynbuf_init(&b, 1000, NULL);
  uint8_t chunk[300];
  memset(chunk, 0x5A, sizeof chunk);
  assert_ami_ok(ami_dynbuf_append(&b, chunk, 300));
  assert_ami_ok(ami_dynbuf_append(&b, chunk, 300));
  assert_ami_ok(ami_dynbuf_append(&b, chunk, 300));
  assert_ami(AMI_E_LIMIT, ami_dynbuf_append(&b, chunk, 101));
  assert_int_equal(b.len, 900);
  assert_ami_ok(ami_dynbuf_append(&b, chunk, 100));
  assert_int_equal(b.len, 1000);
  ami_dynbuf_free(&b);
  ami_dynbuf_free(&b); /* idempotent */

  ami_test_failalloc fa;
  ami_test_failalloc_init(&fa, 0);
  ami_dynbuf_init(&b, 1000, &fa.base);
  assert_ami(AMI_E_NOMEM, ami_dynbuf_append(&b, chunk, 10));
  assert_int_equal(b.len, 0);
  assert_ami_ok(ami_dynbuf_append(&b, chunk, 10));
  ami_dynbuf_free(&b);
  assert_int_equal(fa.live, 0);
}

static void test_writer_sticky(void **state) {
  (void)state;
  uint8_t out[3];
  ami_wr w;
  ami_wr_init(&w, out, sizeof out);
  ami_wr_u16be(&w, 0x1234);
  ami_wr_u16be(&w, 0x5678); /* does not fit */
  ami_wr_u8(&w, 0x9A);      /* would fit, but the writer has failed */
  assert_int_equal(w.err, AMI_E_BUFFER_FULL);
  assert_int_equal(w.len, 2);
  ami_rd r;
  ami_rd_init(&r, out, 2);
  uint32_t v;
  assert_ami(AMI_E_TRUNCATED, ami_rd_u32be(&r, &v));
  assert_int_equal(r.pos, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_err_names),
      cmocka_unit_test(test_crc_table_matches_polynomial),
      cmocka_unit_test(test_crc_vectors),
      cmocka_unit_test(test_hex),
      cmocka_unit_test(test_caltime),
      cmocka_unit_test(test_dynbuf_limits_and_oom),
      cmocka_unit_test(test_writer_sticky),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
