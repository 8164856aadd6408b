/*
 * ami_mdm_tz.c -- UTC offsets under the EU, US and Australian daylight
 * saving rules or a caller's callback, and local days (ami_mdm_tz.h).
 * Pure integer arithmetic over ami_caltime: no clock, no allocation.
 */
#include "ami/ami_mdm_tz.h"

#include <stdbool.h>
#include <stddef.h>

#include "ami/ami_caltime.h"

/* Floor division: local-day numbers before 1970 must round down. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* Day number of the n-th (1-based) Sunday of month m of year y. */
static int64_t nth_sunday(int32_t y, unsigned m, unsigned n) {
  int64_t d1 = ami_days_from_civil(y, m, 1);
  unsigned wd = ami_weekday_from_days(d1); /* 1 = Monday .. 7 = Sunday */
  return d1 + (int64_t)((7u - wd) % 7u) + 7 * (int64_t)(n - 1);
}

/* Day number of the last Sunday of month m of year y. */
static int64_t last_sunday(int32_t y, unsigned m) {
  int64_t dl = ami_days_from_civil(y, m, ami_days_in_month(y, m));
  return dl - (int64_t)(ami_weekday_from_days(dl) % 7u);
}

int32_t ami_mdm_tz_dst_save(const ami_mdm_tz *tz) {
  if (tz == NULL)
    return 0;
  switch (tz->kind) {
  case AMI_MDM_TZ_EU:
  case AMI_MDM_TZ_US:
  case AMI_MDM_TZ_AU_SOUTH:
    return tz->dst_save_s != 0 ? tz->dst_save_s : 3600;
  case AMI_MDM_TZ_FIXED:
  case AMI_MDM_TZ_CUSTOM:
  default:
    return 0;
  }
}

/* Whether DST is in force at t under a built-in rule, from the statutory
 * switching instants (ami_mdm_tz_kind). The year is that of local standard
 * time, which is never near a switching instant at the new year. */
static bool dst_in_force(const ami_mdm_tz *tz, int32_t save, int64_t t) {
  int32_t std = tz->std_offset_s, y;
  unsigned m, d;
  ami_civil_from_days(floor_div(t + std, 86400), &y, &m, &d);
  int64_t on, off;
  switch (tz->kind) {
  case AMI_MDM_TZ_EU: /* Directive 2000/84/EC: 01:00 UTC both ways */
    on = last_sunday(y, 3) * 86400 + 3600;
    off = last_sunday(y, 10) * 86400 + 3600;
    return t >= on && t < off;
  case AMI_MDM_TZ_US: /* 15 U.S.C. 260a: 02:00 local wall clock both ways */
    on = nth_sunday(y, 3, 2) * 86400 + 7200 - std;
    off = nth_sunday(y, 11, 1) * 86400 + 7200 - std - save;
    return t >= on && t < off;
  case AMI_MDM_TZ_AU_SOUTH: /* on 02:00 standard, off 03:00 daylight */
    on = nth_sunday(y, 10, 1) * 86400 + 7200 - std;
    off = nth_sunday(y, 4, 1) * 86400 + 10800 - std - save;
    return t >= on || t < off;
  case AMI_MDM_TZ_FIXED:
  case AMI_MDM_TZ_CUSTOM:
  default:
    return false;
  }
}

int32_t ami_mdm_tz_offset(const ami_mdm_tz *tz, int64_t t_utc) {
  if (tz == NULL)
    return 0;
  if (tz->kind == AMI_MDM_TZ_CUSTOM)
    return tz->fn != NULL ? tz->fn(tz->user, t_utc) : tz->std_offset_s;
  int32_t save = ami_mdm_tz_dst_save(tz);
  return tz->std_offset_s + (dst_in_force(tz, save, t_utc) ? save : 0);
}

/* Try the offsets in force a day and a half either side of the wall time
 * (no zone changes twice within three days): each candidate offset o gives
 * u = L - o, valid when the offset at u really is o. */
int64_t ami_mdm_tz_to_utc(const ami_mdm_tz *tz, int64_t local_s) {
  int32_t before = ami_mdm_tz_offset(tz, local_s - 129600);
  int32_t after = ami_mdm_tz_offset(tz, local_s + 129600);
  int64_t best = INT64_MAX;
  int32_t cand[2] = {before, after};
  for (int i = 0; i < 2; i++) {
    int64_t u = local_s - cand[i];
    if (ami_mdm_tz_offset(tz, u) == cand[i] && u < best)
      best = u;
  }
  return best != INT64_MAX ? best : local_s - before;
}

int64_t ami_mdm_tz_local_day(const ami_mdm_tz *tz, int64_t t_utc) {
  return floor_div(t_utc + ami_mdm_tz_offset(tz, t_utc), 86400);
}

int64_t ami_mdm_tz_day_start(const ami_mdm_tz *tz, int64_t day) {
  return ami_mdm_tz_to_utc(tz, day * 86400);
}

int64_t ami_mdm_tz_day_length(const ami_mdm_tz *tz, int64_t day) {
  return ami_mdm_tz_day_start(tz, day + 1) - ami_mdm_tz_day_start(tz, day);
}
