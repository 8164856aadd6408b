/*
 * ami_mdm_tz.h -- local civil time for meter data: UTC offsets with daylight
 * saving, local day boundaries, and the 23- and 25-hour days that follow.
 *
 * MDM data is stored in UTC (ami_mdm.h) but judged per LOCAL day: a
 * completeness check must expect 46 half-hours on the spring-forward day
 * and 50 on the fall-back day. The rules are data, not the OS time zone
 * database (lib/ is sans-I/O): two built-in rule sets cover the markets we
 * ship for, and a callback covers anything else.
 */
#ifndef AMI_MDM_TZ_H
#define AMI_MDM_TZ_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ami_mdm_tz_kind {
  /* std_offset_s all year (UTC, or the NEM's AEST market time). */
  AMI_MDM_TZ_FIXED = 0,
  /* European Union (Directive 2000/84/EC, Art. 2-3): summer time from
   * 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday
   * of October, offset std + 1 h. London: std 0; Paris: std 3600. */
  AMI_MDM_TZ_EU = 1,
  /* New South Wales, Victoria, ACT, Tasmania since 2008 (NSW Standard
   * Time Act 1987 s.3-4 as amended 2007): daylight time from 02:00 local
   * standard time on the first Sunday of October to 03:00 local daylight
   * time on the first Sunday of April. Sydney: std 36000. */
  AMI_MDM_TZ_AU_SOUTH = 2,
  /* Ask `fn`. */
  AMI_MDM_TZ_CUSTOM = 3
} ami_mdm_tz_kind;

/* Offset east of UTC, in seconds, in force at instant t_utc. */
typedef int32_t (*ami_mdm_tz_fn)(const void *user, int64_t t_utc);

typedef struct ami_mdm_tz {
  ami_mdm_tz_kind kind;
  int32_t std_offset_s; /* standard (winter) offset east of UTC */
  ami_mdm_tz_fn fn;     /* AMI_MDM_TZ_CUSTOM only */
  const void *user;     /* borrowed; passed to fn */
} ami_mdm_tz;

/* Offset east of UTC at t_utc. tz NULL means UTC (0). */
int32_t ami_mdm_tz_offset(const ami_mdm_tz *tz, int64_t t_utc);

/* The UTC instant of local wall-clock time `local_s` (seconds since
 * 1970-01-01T00:00 local). When the wall time occurs twice (the repeated
 * hour in autumn) the EARLIER instant is returned; when it does not occur
 * (the skipped hour in spring) the instant that the pre-transition offset
 * gives, which lies just after the jump. */
int64_t ami_mdm_tz_to_utc(const ami_mdm_tz *tz, int64_t local_s);

/* Local day number (days since 1970-01-01 in local time) of instant t. */
int64_t ami_mdm_tz_local_day(const ami_mdm_tz *tz, int64_t t_utc);

/* UTC instant of local midnight starting local day `day`. */
int64_t ami_mdm_tz_day_start(const ami_mdm_tz *tz, int64_t day);

/* Length of local day `day` in seconds: 86400, or 82800/90000 on the
 * days the clocks change. */
int64_t ami_mdm_tz_day_length(const ami_mdm_tz *tz, int64_t day);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_TZ_H */
