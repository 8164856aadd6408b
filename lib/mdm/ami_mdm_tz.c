/*
 * ami_mdm_tz.c -- UTC offsets with daylight saving rules, and local days
 * (ami_mdm_tz.h). Pure integer arithmetic over ami_caltime.
 */
#include "ami/ami_mdm_tz.h"

#include "ami/ami_caltime.h"

/* Floor division: local-day numbers before 1970 must round down. */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* Day number of the last Sunday of month m of year y. */
static int64_t last_sunday(int32_t y, unsigned m) {
  int64_t d = ami_days_from_civil(y, m, ami_days_in_month(y, m));
  return d - (int64_t)(ami_weekday_from_days(d) % 7u);
}

/* Day number of the first Sunday of month m of year y. */
static int64_t first_sunday(int32_t y, unsigned m) {
  int64_t d = ami_days_from_civil(y, m, 1);
  return d + (int64_t)((7u - ami_weekday_from_days(d)) % 7u);
}

/* Directive 2000/84/EC: both changes at 01:00 UTC. */
static int32_t eu_offset(int32_t std, int64_t t) {
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(floor_div(t, 86400), &y, &m, &d);
  int64_t on = last_sunday(y, 3) * 86400 + 3600;
  int64_t off = last_sunday(y, 10) * 86400 + 3600;
  return (t >= on && t < off) ? std + 3600 : std;
}

/* NSW rule since 2008: on at 02:00 standard time on the first Sunday of
 * October, off at 03:00 daylight time (= 02:00 standard) on the first
 * Sunday of April. Southern hemisphere: DST spans the new year. */
static int32_t au_south_offset(int32_t std, int64_t t) {
  int32_t y;
  unsigned m, d;
  ami_civil_from_days(floor_div(t + std, 86400), &y, &m, &d);
  int64_t on = first_sunday(y, 10) * 86400 + 7200 - std;
  int64_t off = first_sunday(y, 4) * 86400 + 7200 - std;
  return (t >= on || t < off) ? std + 3600 : std;
}

int32_t ami_mdm_tz_offset(const ami_mdm_tz *tz, int64_t t_utc) {
  if (!tz)
    return 0;
  switch (tz->kind) {
  case AMI_MDM_TZ_EU:
    return eu_offset(tz->std_offset_s, t_utc);
  case AMI_MDM_TZ_AU_SOUTH:
    return au_south_offset(tz->std_offset_s, t_utc);
  case AMI_MDM_TZ_CUSTOM:
    return tz->fn ? tz->fn(tz->user, t_utc) : tz->std_offset_s;
  case AMI_MDM_TZ_FIXED:
  default:
    return tz->std_offset_s;
  }
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
