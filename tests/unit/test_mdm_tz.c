/*
 * test_mdm_tz.c -- lib/mdm time zones (ami_mdm_tz.h): the US rule's local
 * days (23 and 25 hours, hand-computed), the default DST saving, a CUSTOM
 * callback, wall time -> UTC in the skipped and repeated hours, and local
 * midnights of every day 2010-2035 in five zones against the system's IANA
 * zoneinfo (an independent implementation; skipped when not installed).
 * The offsets themselves are checked in test_mdm_bill.c and test_mdm_vee.c.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_caltime.h"
#include "ami/ami_mdm_tz.h"

static int64_t utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return ami_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static int64_t day_of(int y, unsigned m, unsigned d) {
  return ami_days_from_civil(y, m, d);
}

/* dst_save_s left 0: the default hour. */
static const ami_mdm_tz NEW_YORK = {.kind = AMI_MDM_TZ_US,
                                    .std_offset_s = -18000};

/* US 2026 (15 U.S.C. 260a): DST from Sunday 8 March 02:00 EST (07:00Z) to
 * Sunday 1 November 02:00 EDT (06:00Z). 8 March starts at 00:00 EST =
 * 05:00Z and lasts 23 h; 1 November starts at 00:00 EDT = 04:00Z and
 * lasts 25 h (the next midnight is 00:00 EST = 2 November 05:00Z). */
static void test_us_days(void **state) {
  (void)state;
  assert_int_equal(ami_mdm_tz_offset(&NEW_YORK, utc(2026, 3, 8, 6, 59, 59)),
                   -18000);
  assert_int_equal(ami_mdm_tz_offset(&NEW_YORK, utc(2026, 3, 8, 7, 0, 0)),
                   -14400);
  assert_int_equal(ami_mdm_tz_offset(&NEW_YORK, utc(2026, 11, 1, 5, 59, 59)),
                   -14400);
  assert_int_equal(ami_mdm_tz_offset(&NEW_YORK, utc(2026, 11, 1, 6, 0, 0)),
                   -18000);
  assert_int_equal(ami_mdm_tz_day_start(&NEW_YORK, day_of(2026, 3, 8)),
                   utc(2026, 3, 8, 5, 0, 0));
  assert_int_equal(ami_mdm_tz_day_length(&NEW_YORK, day_of(2026, 3, 8)), 82800);
  assert_int_equal(ami_mdm_tz_day_start(&NEW_YORK, day_of(2026, 11, 1)),
                   utc(2026, 11, 1, 4, 0, 0));
  assert_int_equal(ami_mdm_tz_day_length(&NEW_YORK, day_of(2026, 11, 1)),
                   90000);
  assert_int_equal(ami_mdm_tz_day_length(&NEW_YORK, day_of(2026, 7, 4)), 86400);
  /* 23:30 EDT on 31 October is 03:30Z on 1 November: still 31 October */
  assert_int_equal(ami_mdm_tz_local_day(&NEW_YORK, utc(2026, 11, 1, 3, 30, 0)),
                   day_of(2026, 10, 31));
  /* 01:30 on 1 November happens twice (05:30Z EDT, 06:30Z EST): the
   * earlier; 02:30 on 8 March never happens: EST gives 07:30Z */
  assert_int_equal(ami_mdm_tz_to_utc(&NEW_YORK, utc(2026, 11, 1, 1, 30, 0)),
                   utc(2026, 11, 1, 5, 30, 0));
  assert_int_equal(ami_mdm_tz_to_utc(&NEW_YORK, utc(2026, 3, 8, 2, 30, 0)),
                   utc(2026, 3, 8, 7, 30, 0));
}

/* dst_save_s: 0 is an hour; an explicit value is used as given (a
 * 30-minute saving under the AU rule: Lord Howe-like, off at 03:00 local
 * daylight = 02:30 standard). */
static void test_dst_save(void **state) {
  (void)state;
  ami_mdm_tz eu0 = {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600};
  ami_mdm_tz eu1 = {
      .kind = AMI_MDM_TZ_EU, .std_offset_s = 3600, .dst_save_s = 3600};
  assert_int_equal(ami_mdm_tz_dst_save(&eu0), 3600);
  assert_int_equal(ami_mdm_tz_dst_save(&eu1), 3600);
  for (int64_t t = utc(2026, 1, 1, 0, 0, 0); t < utc(2027, 1, 1, 0, 0, 0);
       t += 3600)
    assert_int_equal(ami_mdm_tz_offset(&eu0, t), ami_mdm_tz_offset(&eu1, t));
  ami_mdm_tz fixed = {
      .kind = AMI_MDM_TZ_FIXED, .std_offset_s = 19800, .dst_save_s = 3600};
  assert_int_equal(ami_mdm_tz_dst_save(&fixed), 0);
  assert_int_equal(ami_mdm_tz_offset(&fixed, utc(2026, 7, 1, 0, 0, 0)), 19800);
  assert_int_equal(ami_mdm_tz_dst_save(NULL), 0);

  /* AU 2026 at std +10:30 with 30 min: on 4 October 02:00 std = 3 October
   * 15:30Z; off 5 April 03:00 daylight (+11:00) = 4 April 16:00Z */
  ami_mdm_tz half = {
      .kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 37800, .dst_save_s = 1800};
  assert_int_equal(ami_mdm_tz_offset(&half, utc(2026, 4, 4, 15, 59, 59)),
                   39600);
  assert_int_equal(ami_mdm_tz_offset(&half, utc(2026, 4, 4, 16, 0, 0)), 37800);
  assert_int_equal(ami_mdm_tz_offset(&half, utc(2026, 10, 3, 15, 29, 59)),
                   37800);
  assert_int_equal(ami_mdm_tz_offset(&half, utc(2026, 10, 3, 15, 30, 0)),
                   39600);
  assert_int_equal(ami_mdm_tz_day_length(&half, day_of(2026, 10, 4)), 84600);
  assert_int_equal(ami_mdm_tz_day_length(&half, day_of(2026, 4, 5)), 88200);
}

/* A CUSTOM zone: +2 h from instant 1000000 on, +1 h before. */
static int32_t step_fn(const void *user, int64_t t) {
  const int64_t *at = user;
  return t >= *at ? 7200 : 3600;
}

static void test_custom(void **state) {
  (void)state;
  static const int64_t at = 1000000;
  ami_mdm_tz c = {.kind = AMI_MDM_TZ_CUSTOM,
                  .std_offset_s = 3600,
                  .dst_save_s = 600,
                  .fn = step_fn,
                  .user = &at};
  assert_int_equal(ami_mdm_tz_offset(&c, at - 1), 3600);
  assert_int_equal(ami_mdm_tz_offset(&c, at), 7200);
  assert_int_equal(ami_mdm_tz_dst_save(&c), 0);
  /* day 11 (local midnight 950400 = 946800Z) is the day of the step:
   * 1000000Z = 1003600 local (day 11) jumps to 1007200; the next local
   * midnight 1036800 is 1029600Z: 23 h */
  assert_int_equal(ami_mdm_tz_day_start(&c, 11), 946800);
  assert_int_equal(ami_mdm_tz_day_length(&c, 11), 82800);
  /* without a callback: the standard offset */
  c.fn = NULL;
  assert_int_equal(ami_mdm_tz_offset(&c, at), 3600);
  /* NULL is UTC */
  assert_int_equal(ami_mdm_tz_day_start(NULL, 11), 11 * 86400);
  assert_int_equal(ami_mdm_tz_day_length(NULL, 11), 86400);
  assert_int_equal(ami_mdm_tz_local_day(NULL, -1), -1);
}

/* Local midnight of every day 2010-01-02 .. 2035-12-31 and the local day of
 * the instant just before and at it, against mktime in the IANA zone
 * (midnight is never skipped nor repeated in these zones). */
static void test_day_start_against_zoneinfo(void **state) {
  (void)state;
  static const struct {
    const char *zone;
    ami_mdm_tz tz;
  } zones[] = {
      {"Europe/London", {.kind = AMI_MDM_TZ_EU}},
      {"Europe/Paris", {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600}},
      {"America/Chicago", {.kind = AMI_MDM_TZ_US, .std_offset_s = -21600}},
      {"Australia/Melbourne",
       {.kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 36000}},
      {"Australia/Adelaide",
       {.kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 34200}},
  };
  char path[256];
  snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zones[0].zone);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    print_message("no /usr/share/zoneinfo: zoneinfo comparison skipped\n");
    skip();
  }
  fclose(f);
  const char *old = getenv("TZ");
  char *saved = old != NULL ? strdup(old) : NULL;
  for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
    const ami_mdm_tz *tz = &zones[z].tz;
    setenv("TZ", zones[z].zone, 1);
    tzset();
    int n23 = 0, n25 = 0;
    for (int64_t d = day_of(2010, 1, 2); d < day_of(2036, 1, 1); d++) {
      int32_t y;
      unsigned m, dd;
      ami_civil_from_days(d, &y, &m, &dd);
      struct tm tm = {0};
      tm.tm_year = y - 1900;
      tm.tm_mon = (int)m - 1;
      tm.tm_mday = (int)dd;
      tm.tm_isdst = -1;
      int64_t want = (int64_t)mktime(&tm);
      int64_t got = ami_mdm_tz_day_start(tz, d);
      if (got != want)
        fail_msg("%s day %lld: starts %lld, zoneinfo says %lld", zones[z].zone,
                 (long long)d, (long long)got, (long long)want);
      assert_int_equal(ami_mdm_tz_local_day(tz, got), d);
      assert_int_equal(ami_mdm_tz_local_day(tz, got - 1), d - 1);
      int64_t len = ami_mdm_tz_day_length(tz, d);
      n23 += len == 82800;
      n25 += len == 90000;
    }
    /* one short and one long day a year, 26 years */
    assert_int_equal(n23, 26);
    assert_int_equal(n25, 26);
  }
  if (saved != NULL) {
    setenv("TZ", saved, 1);
    free(saved);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_us_days),
      cmocka_unit_test(test_dst_save),
      cmocka_unit_test(test_custom),
      cmocka_unit_test(test_day_start_against_zoneinfo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
