/*
 * ami_mdm_tz.h -- local civil time for meter data: UTC offsets with daylight
 * saving, local day boundaries, and the 23- and 25-hour days that follow.
 *
 * The ONE time-zone model of the MDM layer: VEE judges data per local day
 * (46 half-hours on the spring-forward day, 50 on the fall-back day),
 * billing evaluates tariff calendars in local time, Green Button publishes
 * the zone as LocalTimeParameters. MDM data is stored in UTC (ami_mdm.h).
 * The rules are data, not the OS time zone database (lib/ is sans-I/O):
 * three built-in rule sets cover the markets we ship for, and a callback
 * covers anything else.
 *
 * Offsets are seconds EAST of UTC: local time = UTC + offset. Day numbers
 * are days since 1970-01-01 in the local calendar. Every function accepts
 * tz == NULL as UTC.
 */
#ifndef AMI_MDM_TZ_H
#define AMI_MDM_TZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How the offset is found. Under EU, US and AU_SOUTH the offset is
 * std_offset_s, plus the DST saving while daylight saving time is in force.
 * The numbering of FIXED..AU_SOUTH is that of the tariff JSON "dst" values
 * none, EU, US, AU. */
typedef enum ami_mdm_tz_kind {
  /* std_offset_s all year (UTC, India, the NEM's AEST market time). */
  AMI_MDM_TZ_FIXED = 0,
  /* European Union (Directive 2000/84/EC, Art. 2-3): summer time from
   * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
   * of October -- the same instant in every zone. London: std 0; Paris,
   * Berlin: std 3600. */
  AMI_MDM_TZ_EU = 1,
  /* United States since 2007 (15 U.S.C. 260a as amended by the Energy
   * Policy Act of 2005, s.110): daylight time from 02:00 local standard
   * time on the second Sunday of March to 02:00 local daylight time on the
   * first Sunday of November. New York: std -18000. */
  AMI_MDM_TZ_US = 2,
  /* New South Wales, Victoria, ACT, Tasmania, South Australia since 2008
   * (NSW Standard Time Act 1987 s.3-4 as amended 2007): daylight time from
   * 02:00 local standard time on the first Sunday of October to 03:00
   * local daylight time on the first Sunday of April (southern hemisphere:
   * DST spans the new year). Sydney: std 36000; Adelaide: std 34200. */
  AMI_MDM_TZ_AU_SOUTH = 3,
  /* Ask `fn` (std_offset_s when fn is NULL). */
  AMI_MDM_TZ_CUSTOM = 4
} ami_mdm_tz_kind;

/* Offset east of UTC, in seconds, in force at instant t_utc. Must be a
 * pure function of its arguments; the zone may change offset at most once
 * within any three days (to_utc relies on it). */
typedef int32_t (*ami_mdm_tz_fn)(const void *user, int64_t t_utc);

/* A zone. Initialise with designated initialisers; members left zero take
 * their defaults, e.g. {.kind = AMI_MDM_TZ_EU} is London and
 * {.kind = AMI_MDM_TZ_US, .std_offset_s = -18000} is New York. */
typedef struct ami_mdm_tz {
  ami_mdm_tz_kind kind;
  int32_t std_offset_s; /* standard (winter) offset east of UTC */
  /* Added while DST is in force (EU, US, AU_SOUTH). 0 means the usual
   * 3600 (every zone of these rules saves one hour): a zone without
   * saving is FIXED. Ignored by FIXED and CUSTOM. */
  int32_t dst_save_s;
  ami_mdm_tz_fn fn; /* AMI_MDM_TZ_CUSTOM only */
  const void *user; /* borrowed; passed to fn */
} ami_mdm_tz;

/* Offset east of UTC at t_utc. tz NULL means UTC (0). */
int32_t ami_mdm_tz_offset(const ami_mdm_tz *tz, int64_t t_utc);

/* The DST saving the rule applies (dst_save_s, or 3600 for 0) under EU,
 * US and AU_SOUTH; 0 for FIXED, CUSTOM and NULL. */
int32_t ami_mdm_tz_dst_save(const ami_mdm_tz *tz);

/* The UTC instant of local wall-clock time `local_s` (seconds since
 * 1970-01-01T00:00 local). When the wall time occurs twice (the repeated
 * hour in autumn) the EARLIER instant is returned; when it does not occur
 * (the skipped hour in spring) the instant that the pre-transition offset
 * gives, which lies just after the jump. */
int64_t ami_mdm_tz_to_utc(const ami_mdm_tz *tz, int64_t local_s);

/* Local day number (days since 1970-01-01 in local time) of instant t. */
int64_t ami_mdm_tz_local_day(const ami_mdm_tz *tz, int64_t t_utc);

/* UTC instant of local midnight starting local day `day` (by to_utc: the
 * first instant of the day even where a rule switches at midnight, as the
 * EU rule does at UTC-1). */
int64_t ami_mdm_tz_day_start(const ami_mdm_tz *tz, int64_t day);

/* Length of local day `day` in seconds: 86400, or 86400 -/+ the saving
 * (82800/90000) on the days the clocks change. */
int64_t ami_mdm_tz_day_length(const ami_mdm_tz *tz, int64_t day);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_TZ_H */
