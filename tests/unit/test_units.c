/*
 * test_units.c -- lib/codec unit table and exact scaler rendering
 * (ami_units.h). Unit codes and symbols are checked against the IEC
 * 62056-6-2 unit enumeration as the brief and the public Blue Book excerpt
 * list them (1 a, 27 W, 30 Wh, 35 V, 44 Hz, 255 count...).
 */
#include "ami_test.h"

#include <string.h>

#include "ami/ami_units.h"

static void test_table(void **state) {
  (void)state;
  static const struct {
    uint8_t code;
    const char *symbol;
  } known[] = {
      {1, "a"},    {2, "mo"},   {3, "wk"},  {4, "d"},    {5, "h"},
      {6, "min"},  {7, "s"},    {8, "deg"}, {9, "degC"}, {11, "m"},
      {12, "m/s"}, {13, "m3"},  {14, "m3"}, {19, "l"},   {27, "W"},
      {28, "VA"},  {29, "var"}, {30, "Wh"}, {31, "VAh"}, {32, "varh"},
      {33, "A"},   {34, "C"},   {35, "V"},  {36, "V/m"}, {37, "F"},
      {38, "Ohm"}, {44, "Hz"},  {52, "K"},  {56, "%"},   {57, "Ah"},
      {70, "dBm"}, {255, ""},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    const ami_unit_info *u = ami_units_lookup(known[i].code);
    assert_non_null(u);
    assert_int_equal(u->code, known[i].code);
    assert_string_equal(u->symbol, known[i].symbol);
    assert_string_equal(ami_units_symbol(known[i].code), known[i].symbol);
  }
  assert_string_equal(ami_units_lookup(10)->quantity, "(local) currency");
  assert_string_equal(ami_units_lookup(254)->quantity, "other unit");
  /* Codes the enumeration leaves unassigned. */
  assert_null(ami_units_lookup(0));
  assert_null(ami_units_lookup(58));
  assert_null(ami_units_lookup(100));
  assert_string_equal(ami_units_symbol(0), "");

  /* The table is sorted and every code is listed once (lookup relies on
   * it); every entry is found by lookup. */
  size_t n;
  const ami_unit_info *t = ami_units_table(&n);
  assert_true(n > 60);
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      assert_true(t[i - 1].code < t[i].code);
    assert_ptr_equal(ami_units_lookup(t[i].code), &t[i]);
    assert_non_null(t[i].quantity);
  }

  uint8_t code = 0;
  assert_ami_ok(ami_units_from_symbol("Wh", &code));
  assert_int_equal(code, 30);
  assert_ami_ok(ami_units_from_symbol("m3", &code));
  assert_int_equal(code, 13); /* the first of volume / corrected volume */
  assert_ami(AMI_E_NOT_FOUND, ami_units_from_symbol("wh", &code));
  assert_ami(AMI_E_NOT_FOUND, ami_units_from_symbol("", &code));
}

static void check(int64_t v, int8_t scaler, const char *expect) {
  char buf[200];
  size_t n = ami_units_apply_scaler(v, scaler, buf, sizeof buf);
  assert_string_equal(buf, expect);
  assert_int_equal(n, strlen(expect));
}

static void test_apply_scaler(void **state) {
  (void)state;
  /* VECTORS.md §5: voltage 2308 x 10^-1 V and energy 9108 Wh. */
  check(2308, -1, "230.8");
  check(9108, 0, "9108");
  check(5, -3, "0.005");
  check(-5, -3, "-0.005");
  check(12, 2, "1200");
  check(2300, -1, "230.0");
  check(0, -2, "0.00");
  check(0, 3, "0");
  check(-1, 0, "-1");
  check(123456, -3, "123.456");
  check(123456, -6, "0.123456");
  check(INT64_MAX, 0, "9223372036854775807");
  check(INT64_MIN, 0, "-9223372036854775808");
  check(INT64_MIN, -19, "-0.9223372036854775808");
  check(INT64_MIN, -20, "-0.09223372036854775808");
  check(INT64_MIN, -18, "-9.223372036854775808");

  char buf[200];
  assert_int_equal(ami_units_apply_scaler_u64(UINT64_MAX, -1, buf, sizeof buf),
                   21);
  assert_string_equal(buf, "1844674407370955161.5");

  /* Extremes of the scaler. */
  size_t n = ami_units_apply_scaler(INT64_MIN, 127, buf, sizeof buf);
  assert_int_equal(n, 20 + 127);
  assert_int_equal(strlen(buf), n);
  n = ami_units_apply_scaler(-1, -128, buf, sizeof buf);
  assert_int_equal(n, 1 + 2 + 127 + 1);
  assert_int_equal(buf[n - 1], '1');

  /* Short output: truncated and terminated, full length returned. */
  char small[4];
  assert_int_equal(ami_units_apply_scaler(2308, -1, small, sizeof small), 5);
  assert_string_equal(small, "230");
  assert_int_equal(ami_units_apply_scaler(2308, -1, NULL, 0), 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_apply_scaler),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
