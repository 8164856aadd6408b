/*
 * test_cosem_time.c -- lib/codec COSEM date/time values (ami_cosem_time.h):
 * raw encodings, validation with the special values, UTC conversion under
 * both deviation rules, ISO-8601 text.
 *
 * Expected instants were computed independently with Python's
 * calendar.timegm (e.g. 2026-11-22T04:03:04Z = 1795320184). The clock value
 * is the one in the Gurux sessions (VECTORS.md §4): 07EA0B16 07 04030400
 * 0000 00.
 */
#include "ami_test.h"

#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_cosem_time.h"

static ami_cosem_datetime dt_from_hex(const char *hex) {
  size_t n;
  uint8_t *b = ami_test_hex(hex, &n);
  assert_int_equal(n, 12);
  ami_cosem_datetime dt;
  ami_cosem_datetime_decode(b, &dt);
  free(b);
  return dt;
}

static void test_raw_roundtrip(void **state) {
  (void)state;
  /* Every byte pattern survives decode/encode (specials, reserved values,
   * negative deviations). */
  uint8_t in[12], out[12];
  uint32_t x = 12345;
  for (int i = 0; i < 20000; i++) {
    for (int k = 0; k < 12; k++) {
      x = x * 1103515245u + 12345u;
      in[k] = (uint8_t)(x >> 16);
    }
    ami_cosem_datetime dt;
    ami_cosem_datetime_decode(in, &dt);
    ami_cosem_datetime_encode(&dt, out);
    assert_memory_equal(in, out, 12);
  }
  ami_cosem_datetime dt = dt_from_hex("07EA0B16070403040EFFC480");
  assert_int_equal(dt.date.year, 2026);
  assert_int_equal(dt.time.hundredths, 14);
  assert_int_equal(dt.deviation, -60);
  assert_int_equal(dt.status, 0x80);
  dt = dt_from_hex("FFFFFFFFFFFFFFFFFF8000FF");
  ami_cosem_datetime u = ami_cosem_datetime_unspecified();
  assert_int_equal(dt.date.year, u.date.year);
  assert_int_equal(dt.date.month, u.date.month);
  assert_int_equal(dt.date.day, u.date.day);
  assert_int_equal(dt.date.day_of_week, u.date.day_of_week);
  assert_int_equal(dt.time.hour, u.time.hour);
  assert_int_equal(dt.time.minute, u.time.minute);
  assert_int_equal(dt.time.second, u.time.second);
  assert_int_equal(dt.time.hundredths, u.time.hundredths);
  assert_int_equal(dt.deviation, u.deviation);
  assert_int_equal(dt.status, u.status);
  assert_int_equal(dt.deviation, AMI_COSEM_DEVIATION_UNSPEC);

  uint8_t d5[5] = {0x07, 0xEA, 0xFE, 0xFD, 0x07}, o5[5];
  ami_cosem_date date;
  ami_cosem_date_decode(d5, &date);
  assert_int_equal(date.month, AMI_COSEM_MONTH_DST_BEGIN);
  assert_int_equal(date.day, AMI_COSEM_DAY_2ND_LAST);
  ami_cosem_date_encode(&date, o5);
  assert_memory_equal(d5, o5, 5);
  uint8_t t4[4] = {23, 59, 59, 99}, o4[4];
  ami_cosem_time tm;
  ami_cosem_time_decode(t4, &tm);
  ami_cosem_time_encode(&tm, o4);
  assert_memory_equal(t4, o4, 4);
}

static void test_validate(void **state) {
  (void)state;
  static const struct {
    const char *hex;
    int err;
  } cases[] = {
      {"07EA0B1607040304000000"
       "00",
       AMI_OK},                             /* the Gurux clock */
      {"FFFFFFFFFFFFFFFFFF8000FF", AMI_OK}, /* all unspecified */
      {"FFFFFDFE07020000FF8000FF", AMI_OK}, /* DST end, last Sunday */
      {"FFFFFEFD01020000FF8000FF", AMI_OK}, /* DST begin, 2nd last */
      {"07E8021D040000000000000"
       "0",
       AMI_OK}, /* 2024-02-29, a Thursday */
      {"FFFF021DFF000000000000"
       "00",
       AMI_OK}, /* 29 Feb, any year */
      {"07EA0D01FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* month 13 */
      {"07EA0001FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* month 0 */
      {"07EAFC01FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* month 0xFC */
      {"07EA0100FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* day 0 */
      {"07EA0120FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* day 32 */
      {"07EA01E0FF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* day reserved */
      {"07EA021EFF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* 30 February */
      {"07E7021DFF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* 2023-02-29 */
      {"FFFF021EFF000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* 30 Feb, any year */
      {"07EA0B1601000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* Sunday, not Mon */
      {"07EA0B1600000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* dow 0 */
      {"FFFFFFFF08000000000000"
       "00",
       AMI_E_BAD_VALUE}, /* dow 8 */
      {"07EA0B16FF180000000000"
       "00",
       AMI_E_BAD_VALUE}, /* hour 24 */
      {"07EA0B16FF003C00000000"
       "00",
       AMI_E_BAD_VALUE}, /* minute 60 */
      {"07EA0B16FF00003C000000"
       "00",
       AMI_E_BAD_VALUE},                             /* second 60 */
      {"07EA0B16FF00000064000000", AMI_E_BAD_VALUE}, /* hundredths 100 */
      {"07EA0B16FF000000FF02D0"
       "00",
       AMI_OK}, /* deviation 720 */
      {"07EA0B16FF000000FF02D1"
       "00",
       AMI_E_BAD_VALUE}, /* deviation 721 */
      {"07EA0B16FF000000FFFD30"
       "00",
       AMI_OK}, /* deviation -720 */
      {"07EA0B16FF000000FF7FFF"
       "00",
       AMI_E_BAD_VALUE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ami_cosem_datetime dt = dt_from_hex(cases[i].hex);
    int rc = ami_cosem_datetime_validate(&dt);
    if (rc != cases[i].err)
      fail_msg("%s: %s, expected %s", cases[i].hex, ami_err_name(rc),
               ami_err_name(cases[i].err));
  }
}

static void test_to_utc(void **state) {
  (void)state;
  int64_t s;
  uint8_t h;
  /* The Gurux clock: deviation 0, so both rules agree. */
  ami_cosem_datetime dt = dt_from_hex("07EA0B16070403040000000"
                                      "0");
  assert_ami_ok(ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  assert_true(s == 1795320184);
  assert_int_equal(h, 0);

  /* 05:03:04.14 local in CET. Blue Book rule: deviation = UTC - local =
   * -60 (FFC4). The inverted rule writes +60 (003C) for the same zone. */
  dt = dt_from_hex("07EA0B16070503040EFFC400");
  assert_ami_ok(ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  assert_true(s == 1795320184);
  assert_int_equal(h, 14);
  dt = dt_from_hex("07EA0B16070503040E003C00");
  assert_ami_ok(
      ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_UTC_TO_LOCAL, &s, &h));
  assert_true(s == 1795320184);
  /* ... and read under the wrong rule it is two hours off. */
  assert_ami_ok(ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  assert_true(s == 1795320184 + 7200);

  /* New York, UTC-05:00: standard deviation +300 (012C); 2024-02-29
   * 18:59:59 local is 23:59:59Z = 1709251199. Hundredths FF count as 0. */
  dt = dt_from_hex("07E8021D04123B3BFF012C00");
  assert_ami_ok(ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  assert_true(s == 1709251199);
  assert_int_equal(h, 0);

  /* Before 1970: 1970-01-01T00:00:00 at UTC+01:00 is -3600. */
  dt = dt_from_hex("07B2010104000000FFFFC400");
  assert_ami_ok(ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  assert_true(s == -3600);

  /* Wildcards and missing deviation cannot name an instant. */
  static const char *bad[] = {
      "FFFF0B1607050304000000"
      "00",
      "07EAFF1607050304000000"
      "00",
      "07EA0BFE07050304000000"
      "00",
      "07EA0B1607FF0304000000"
      "00",
      "07EA0B160705FF04000000"
      "00",
      "07EA0B16070503FF000000"
      "00",
      "07EA0B1607050304008000"
      "00",
      "07EA0B1607050304000300"
      "00",
      "07EA0B1F07050304000000"
      "00", /* 31 November */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    dt = dt_from_hex(bad[i]);
    assert_ami(AMI_E_BAD_VALUE,
               ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &s, &h));
  }
}

static void test_from_utc(void **state) {
  (void)state;
  ami_cosem_datetime dt;
  assert_ami_ok(ami_cosem_datetime_from_utc(1795320184, 14, 60,
                                            AMI_COSEM_DEV_STANDARD,
                                            AMI_COSEM_STATUS_DST_ACTIVE, &dt));
  uint8_t b[12];
  ami_cosem_datetime_encode(&dt, b);
  ami_test_assert_bytes(b, 12, "07 EA 0B 16 07 05 03 04 0E FF C4 80");
  assert_ami_ok(ami_cosem_datetime_from_utc(
      1795320184, 14, 60, AMI_COSEM_DEV_UTC_TO_LOCAL, 0, &dt));
  ami_cosem_datetime_encode(&dt, b);
  ami_test_assert_bytes(b, 12, "07 EA 0B 16 07 05 03 04 0E 00 3C 00");
  assert_ami_ok(
      ami_cosem_datetime_from_utc(-1, 99, 0, AMI_COSEM_DEV_STANDARD, 0, &dt));
  ami_cosem_datetime_encode(&dt, b);
  ami_test_assert_bytes(b, 12, "07 B1 0C 1F 03 17 3B 3B 63 00 00 00");

  assert_ami(AMI_E_RANGE, ami_cosem_datetime_from_utc(
                              0, 0, 721, AMI_COSEM_DEV_STANDARD, 0, &dt));
  assert_ami(AMI_E_RANGE, ami_cosem_datetime_from_utc(
                              0, 100, 0, AMI_COSEM_DEV_STANDARD, 0, &dt));
  assert_ami(AMI_E_RANGE, ami_cosem_datetime_from_utc(
                              INT64_MIN, 0, 0, AMI_COSEM_DEV_STANDARD, 0, &dt));
  /* Year 0 is the lower bound, 65534 the upper. */
  assert_ami(AMI_E_RANGE, ami_cosem_datetime_from_utc(
                              ami_days_from_civil(-1, 12, 31) * 86400, 0, 0,
                              AMI_COSEM_DEV_STANDARD, 0, &dt));
  assert_ami(AMI_E_RANGE, ami_cosem_datetime_from_utc(
                              ami_days_from_civil(65535, 1, 1) * 86400, 0, 0,
                              AMI_COSEM_DEV_STANDARD, 0, &dt));

  /* Round trips across instants and zones, both rules; every result is
   * valid and carries the right day of week. */
  for (int64_t t = -2208988800LL; t < 4102444800LL; t += 7777777) {
    for (int off = -720; off <= 720; off += 135) {
      for (int rule = 0; rule < 2; rule++) {
        assert_ami_ok(ami_cosem_datetime_from_utc(
            t, (uint8_t)(t % 100 < 0 ? -(t % 100) : t % 100), off,
            (ami_cosem_dev_rule)rule, 0, &dt));
        assert_ami_ok(ami_cosem_datetime_validate(&dt));
        int64_t back;
        uint8_t h;
        assert_ami_ok(ami_cosem_datetime_to_utc(&dt, (ami_cosem_dev_rule)rule,
                                                &back, &h));
        assert_true(back == t);
      }
    }
  }
}

static void expect_text(const char *hex, ami_cosem_dev_rule rule,
                        const char *text) {
  ami_cosem_datetime dt = dt_from_hex(hex);
  char buf[96];
  size_t n = ami_cosem_datetime_format(&dt, rule, buf, sizeof buf);
  assert_string_equal(buf, text);
  assert_int_equal(n, strlen(text));
}

static void test_format(void **state) {
  (void)state;
  expect_text("07EA0B16070503040EFFC480", AMI_COSEM_DEV_STANDARD,
              "2026-11-22T05:03:04.14+01:00");
  expect_text("07EA0B16070503040E003C80", AMI_COSEM_DEV_UTC_TO_LOCAL,
              "2026-11-22T05:03:04.14+01:00");
  expect_text("07EA0B1607040304000000"
              "00",
              AMI_COSEM_DEV_STANDARD, "2026-11-22T04:03:04.00Z");
  expect_text("07E8021D04123B3BFF012C00", AMI_COSEM_DEV_STANDARD,
              "2024-02-29T18:59:59-05:00");
  expect_text("07E8021D04123B3BFFFEBB00", AMI_COSEM_DEV_STANDARD,
              "2024-02-29T18:59:59+05:25");
  expect_text("FFFF0C19FF000000FF8000FF", AMI_COSEM_DEV_STANDARD,
              "****-12-25T00:00:00");
  expect_text("FFFFFFFFFFFFFFFFFF8000FF", AMI_COSEM_DEV_STANDARD,
              "****-**-**T**:**:**");
  expect_text("FFFFFEFE07020000FF8000FF", AMI_COSEM_DEV_STANDARD,
              "****-{dst-begin}-{last}T02:00:00 dow=7");
  expect_text("FFFFFDFD01030000FF8000FF", AMI_COSEM_DEV_STANDARD,
              "****-{dst-end}-{2nd-last}T03:00:00 dow=1");
  expect_text("07EA0DE0FF1800000A8000FF", AMI_COSEM_DEV_STANDARD,
              "2026-{0x0D}-{0xE0}T{0x18}:00:00.10");
  /* Short buffer: truncated, terminated, full length returned. */
  ami_cosem_datetime dt = dt_from_hex("07EA0B16070503040EFFC480");
  char small[8];
  assert_int_equal(ami_cosem_datetime_format(&dt, AMI_COSEM_DEV_STANDARD, small,
                                             sizeof small),
                   28);
  assert_string_equal(small, "2026-11");
  assert_int_equal(
      ami_cosem_datetime_format(&dt, AMI_COSEM_DEV_STANDARD, NULL, 0), 28);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_raw_roundtrip), cmocka_unit_test(test_validate),
      cmocka_unit_test(test_to_utc),        cmocka_unit_test(test_from_utc),
      cmocka_unit_test(test_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
