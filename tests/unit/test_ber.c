/*
 * test_ber.c -- lib/codec BER primitives (ami_ber.h) against the encodings
 * spelled out in ITU-T X.690 §8.1 (identifier and length octets) and §8.3
 * (INTEGER).
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_ber.h"

static int read_len_hex(const char *hex, size_t *len, size_t *pos) {
  size_t n;
  uint8_t *b = ami_test_hex(hex, &n);
  uint8_t *g = ami_test_guarded_copy(b, n);
  ami_rd r;
  ami_rd_init(&r, g, n);
  int rc = ami_ber_read_len(&r, len);
  *pos = r.pos;
  ami_test_guarded_free(g, n);
  free(b);
  return rc;
}

static void test_lengths(void **state) {
  (void)state;
  size_t len, pos;
  /* Short form, and the long forms with one to four octets (§8.1.3.5). */
  assert_ami_ok(read_len_hex("7F", &len, &pos));
  assert_int_equal(len, 127);
  assert_ami_ok(read_len_hex("8180", &len, &pos));
  assert_int_equal(len, 128);
  assert_ami_ok(read_len_hex("820100", &len, &pos));
  assert_int_equal(len, 256);
  assert_ami_ok(read_len_hex("83010000", &len, &pos));
  assert_int_equal(len, 65536);
  assert_ami_ok(read_len_hex("8401000000", &len, &pos));
  assert_int_equal(len, 0x1000000);
  assert_int_equal(pos, 5);
  /* A non-minimal long form is still a valid BER length. */
  assert_ami_ok(read_len_hex("8105", &len, &pos));
  assert_int_equal(len, 5);
  /* Indefinite (§8.1.3.6), too many octets, reserved 0xFF, truncation;
   * on error the reader does not move. */
  assert_ami(AMI_E_BER_INDEFINITE, read_len_hex("80", &len, &pos));
  assert_int_equal(pos, 0);
  assert_ami(AMI_E_BAD_LENGTH, read_len_hex("850000000001", &len, &pos));
  assert_ami(AMI_E_BAD_LENGTH, read_len_hex("FF", &len, &pos));
  assert_ami(AMI_E_TRUNCATED, read_len_hex("8201", &len, &pos));
  assert_int_equal(pos, 0);
  assert_ami(AMI_E_TRUNCATED, read_len_hex("", &len, &pos));

  /* Writing picks the shortest form. */
  static const struct {
    size_t len;
    const char *hex;
  } w[] = {{0, "00"},           {127, "7F"},
           {128, "8180"},       {255, "81FF"},
           {256, "820100"},     {65535, "82FFFF"},
           {65536, "83010000"}, {0x1000000, "8401000000"}};
  for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
    uint8_t buf[8];
    ami_wr wr;
    ami_wr_init(&wr, buf, sizeof buf);
    ami_ber_write_len(&wr, w[i].len);
    ami_test_assert_bytes(buf, wr.len, w[i].hex);
    assert_int_equal(ami_ber_len_size(w[i].len), wr.len);
  }
}

static void test_tlv(void **state) {
  (void)state;
  size_t n;
  uint8_t *b = ami_test_hex("A203020100"
                            "9F2102AABB"
                            "BF8F7F00"
                            "1F8080808001"
                            "00",
                            &n);
  ami_rd r;
  ami_rd_init(&r, b, n);
  ami_ber_tlv t;
  assert_ami_ok(ami_ber_read_tlv(&r, &t));
  assert_int_equal(t.id, 0xA2);
  assert_int_equal(t.number, 2);
  ami_test_assert_bytes(t.value.p, t.value.len, "020100");
  /* Tag numbers of 31 and more in subsequent octets (§8.1.2.4). */
  assert_ami_ok(ami_ber_read_tlv(&r, &t));
  assert_int_equal(t.id, 0x9F);
  assert_int_equal(t.number, 33);
  assert_int_equal(t.value.len, 2);
  assert_ami_ok(ami_ber_read_tlv(&r, &t));
  assert_int_equal(t.number, 0x7FF);
  assert_int_equal(t.value.len, 0);
  /* A tag number longer than four octets. */
  size_t save = r.pos;
  assert_ami(AMI_E_BAD_TAG, ami_ber_read_tlv(&r, &t));
  assert_int_equal(r.pos, save);
  free(b);

  /* Contents running past the input. */
  b = ami_test_hex("0405AABB", &n);
  ami_rd_init(&r, b, n);
  assert_ami(AMI_E_TRUNCATED, ami_ber_read_tlv(&r, &t));
  assert_int_equal(r.pos, 0);
  /* ...which inside a complete container is a bad length. */
  ami_span c;
  assert_ami(AMI_E_BAD_LENGTH, ami_ber_expect(ami_span_make(b, n), 0x04, &c));
  free(b);
  b = ami_test_hex("0402AABB00", &n);
  assert_ami(AMI_E_TRAILING, ami_ber_expect(ami_span_make(b, n), 0x04, &c));
  assert_ami(AMI_E_BAD_TAG, ami_ber_expect(ami_span_make(b, 4), 0x06, &c));
  assert_ami_ok(ami_ber_expect(ami_span_make(b, 4), 0x04, &c));
  ami_test_assert_bytes(c.p, c.len, "AABB");
  free(b);
}

static void test_integers(void **state) {
  (void)state;
  /* X.690 §8.3: two's complement in the fewest octets. */
  static const struct {
    int32_t v;
    const char *hex;
  } cases[] = {{0, "020100"},
               {1, "020101"},
               {127, "02017F"},
               {128, "02020080"},
               {255, "020200FF"},
               {256, "02020100"},
               {-1, "0201FF"},
               {-128, "020180"},
               {-129, "0202FF7F"},
               {-32768, "02028000"},
               {65535, "020300FFFF"},
               {INT32_MAX, "02047FFFFFFF"},
               {INT32_MIN, "020480000000"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t buf[8];
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    ami_ber_write_int(&w, 0x02, cases[i].v);
    ami_test_assert_bytes(buf, w.len, cases[i].hex);
    int32_t back = 0;
    assert_ami_ok(ami_ber_get_int(ami_span_make(buf + 2, w.len - 2), &back));
    assert_int_equal(back, cases[i].v);
  }
  int32_t v;
  /* Non-minimal contents decode; empty and over-long ones do not. */
  assert_ami_ok(ami_ber_get_int(ami_span_make("\x00\x00\x05", 3), &v));
  assert_int_equal(v, 5);
  assert_ami_ok(ami_ber_get_int(ami_span_make("\xFF\xFF", 2), &v));
  assert_int_equal(v, -1);
  assert_ami(AMI_E_BAD_LENGTH, ami_ber_get_int(ami_span_make("", 0), &v));
  assert_ami(AMI_E_RANGE,
             ami_ber_get_int(ami_span_make("\x00\x00\x00\x00\x01", 5), &v));
}

static void test_wrap(void **state) {
  (void)state;
  /* Contents first, header inserted afterwards: short and long forms. */
  uint8_t buf[300];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_wr_u8(&w, 0x55);
  size_t start = w.len;
  ami_ber_write_tlv(&w, 0x80, "\x01", 1);
  assert_ami_ok(ami_ber_wrap(&w, start, 0xA1));
  assert_ami_ok(ami_ber_wrap(&w, start, 0x60));
  ami_test_assert_bytes(buf, w.len, "556005A103800101");
  ami_wr_init(&w, buf, sizeof buf);
  for (int i = 0; i < 200; i++)
    ami_wr_u8(&w, (uint8_t)i);
  assert_ami_ok(ami_ber_wrap(&w, 0, 0x04));
  assert_int_equal(w.len, 203);
  assert_memory_equal(buf, "\x04\x81\xC8\x00\x01\x02", 6);
  assert_int_equal(buf[202], 199);
  /* No room for the header: sticky BUFFER_FULL, nothing corrupted. */
  ami_wr_init(&w, buf, 3);
  ami_wr_bytes(&w, "\x01\x02\x03", 3);
  assert_ami(AMI_E_BUFFER_FULL, ami_ber_wrap(&w, 0, 0x04));
  assert_ami(AMI_E_BUFFER_FULL, w.err);
  assert_memory_equal(buf, "\x01\x02\x03", 3);
}

static void test_oid(void **state) {
  (void)state;
  assert_true(
      ami_ber_oid_valid(ami_span_make("\x60\x85\x74\x05\x08\x01\x01", 7)));
  assert_false(ami_ber_oid_valid(ami_span_make("\x60\x85", 2)));
  assert_false(ami_ber_oid_valid(ami_span_make("", 0)));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lengths),  cmocka_unit_test(test_tlv),
      cmocka_unit_test(test_integers), cmocka_unit_test(test_wrap),
      cmocka_unit_test(test_oid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
