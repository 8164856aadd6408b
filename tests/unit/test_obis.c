/*
 * test_obis.c -- lib/codec OBIS code parsing and formatting (ami_obis.h).
 * OBIS codes from VECTORS.md: 0-0:43.1.0*255 (the GET-request vector),
 * 0-0:40.0.0*255 (association LN), 1-0:1.8.0 and 1-0:32.7.0 (§5).
 */
#include "ami_test.h"

#include <string.h>

#include "ami/ami_obis.h"

static void expect(const char *text, uint8_t a, uint8_t b, uint8_t c, uint8_t d,
                   uint8_t e, uint8_t f) {
  ami_obis o;
  int rc = ami_obis_parse(text, strlen(text), &o);
  if (rc != AMI_OK)
    fail_msg("'%s': %s", text, ami_err_name(rc));
  ami_obis x = ami_obis_make(a, b, c, d, e, f);
  assert_true(ami_obis_eq(&o, &x));
}

static void test_parse(void **state) {
  (void)state;
  expect("1-0:1.8.0*255", 1, 0, 1, 8, 0, 255);
  expect("1-0:1.8.0", 1, 0, 1, 8, 0, 255);
  expect("1-0:32.7.0.255", 1, 0, 32, 7, 0, 255);
  expect("0-0:43.1.0*255", 0, 0, 43, 1, 0, 255);
  expect("1.0.1.8.0.255", 1, 0, 1, 8, 0, 255);
  expect("0.0.40.0.0.255", 0, 0, 40, 0, 0, 255);
  expect("255-255:255.255.255*255", 255, 255, 255, 255, 255, 255);
  expect("0-0:0.0.0*0", 0, 0, 0, 0, 0, 0);
  expect("001-000:001.008.000*001", 1, 0, 1, 8, 0, 1);
  /* Only `len` characters count; no NUL needed. */
  ami_obis o;
  assert_ami_ok(ami_obis_parse("1-0:1.8.0*255XYZ", 13, &o));
  assert_int_equal(o.f, 255);

  static const char *bad[] = {
      "",
      "1",
      "1-0",
      "1-0:1.8",
      "1-0:1.8.",
      "1-0:1.8.0*",
      "1-0:1.8.0*256",
      "256-0:1.8.0",
      "1-0:1.8.0*2555",
      "1-0:1.8.0 ",
      " 1-0:1.8.0",
      "1-0:1.8.0*255x",
      "1-0:C.96.1.0",
      "0-0:C.1.0*255",
      "1-0:-1.8.0",
      "+1-0:1.8.0",
      "1.0.1.8.0",
      "1.0.1.8.0.255.1",
      "1.0.1.8.0.256",
      "1..1.8.0.255",
      "1-0:1.8.0**255",
      "1:0-1.8.0*255",
      "1-0:1.8.0*255*1",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = ami_obis_parse(bad[i], strlen(bad[i]), &o);
    if (rc != AMI_E_SYNTAX)
      fail_msg("'%s' gave %s", bad[i], ami_err_name(rc));
  }
  assert_ami(AMI_E_SYNTAX, ami_obis_parse(NULL, 0, &o));
}

static void test_format_and_bytes(void **state) {
  (void)state;
  char buf[AMI_OBIS_TEXT_MAX];
  ami_obis o = ami_obis_make(1, 0, 1, 8, 0, 255);
  assert_int_equal(ami_obis_format(&o, buf, sizeof buf), 13);
  assert_string_equal(buf, "1-0:1.8.0*255");
  assert_int_equal(ami_obis_format_dotted(&o, buf, sizeof buf), 13);
  assert_string_equal(buf, "1.0.1.8.0.255");
  ami_obis m = ami_obis_make(255, 255, 255, 255, 255, 255);
  assert_int_equal(ami_obis_format(&m, buf, sizeof buf), AMI_OBIS_TEXT_MAX - 1);
  assert_string_equal(buf, "255-255:255.255.255*255");
  /* Truncated output. */
  char small[6];
  assert_int_equal(ami_obis_format(&o, small, sizeof small), 13);
  assert_string_equal(small, "1-0:1");

  /* Bytes, as in the GET-request vector C001C1 0001 00002B0100FF 0200. */
  static const uint8_t ln[6] = {0x00, 0x00, 0x2B, 0x01, 0x00, 0xFF};
  ami_obis g = ami_obis_from_bytes(ln);
  assert_int_equal(ami_obis_format(&g, buf, sizeof buf), 14);
  assert_string_equal(buf, "0-0:43.1.0*255");
  uint8_t back[6];
  ami_obis_to_bytes(&g, back);
  assert_memory_equal(back, ln, 6);

  /* Text round trip over many codes. */
  for (unsigned i = 0; i < 256; i += 7) {
    ami_obis x =
        ami_obis_make((uint8_t)i, (uint8_t)(255 - i), (uint8_t)(i / 2),
                      (uint8_t)(i * 3), (uint8_t)(i ^ 0x55), (uint8_t)(i + 1));
    ami_obis y;
    size_t n = ami_obis_format(&x, buf, sizeof buf);
    assert_ami_ok(ami_obis_parse(buf, n, &y));
    assert_true(ami_obis_eq(&x, &y));
    n = ami_obis_format_dotted(&x, buf, sizeof buf);
    assert_ami_ok(ami_obis_parse(buf, n, &y));
    assert_true(ami_obis_eq(&x, &y));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_format_and_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
