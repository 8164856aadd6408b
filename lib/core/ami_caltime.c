/*
 * ami_caltime.c -- civil date <-> day count, after the public-domain
 * algorithms described by Howard Hinnant ("chrono-Compatible Low-Level Date
 * Algorithms"): eras of 400 years, March-based years so that the leap day is
 * the last day of the year.
 */
#include "ami/ami_caltime.h"

static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t ami_days_from_civil(int32_t y32, unsigned m, unsigned d) {
  int64_t y = (int64_t)y32 - (m <= 2);
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;                         /* [0, 399] */
  int64_t mp = (m + 9) % 12;                           /* March=0 */
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;   /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
  return era * 146097 + doe - 719468;
}

void ami_civil_from_days(int64_t z, int32_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
  *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  *y = (int32_t)(yoe + era * 400 + (*m <= 2));
}

unsigned ami_weekday_from_days(int64_t z) {
  /* 1970-01-01 was a Thursday (ISO 4). */
  int64_t w = (z + 3) % 7;
  if (w < 0)
    w += 7;
  return (unsigned)w + 1;
}

bool ami_is_leap_year(int32_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned ami_days_in_month(int32_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30,
                                        31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12)
    return 0;
  return dim[m - 1] + (m == 2 && ami_is_leap_year(y));
}
