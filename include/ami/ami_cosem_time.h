/*
 * ami_cosem_time.h -- the COSEM date, time and date-time values
 * (DLMS UA Blue Book / IEC 62056-6-2 §4.1.6.1 "Date and time formats"):
 * their 5-, 4- and 12-byte encodings, validation, conversion to and from UTC
 * seconds, and ISO-8601 text.
 *
 *   date-time = year(2, big-endian) month day-of-month day-of-week
 *               hour minute second hundredths deviation(2, signed) status
 *   date      = year(2) month day-of-month day-of-week
 *   time      = hour minute second hundredths
 *
 * The structs hold the raw field values, so every 12/5/4-byte pattern decodes
 * and re-encodes unchanged (wildcards, reserved values and all); validation is
 * a separate, explicit step.
 *
 * THE SIGN OF THE DEVIATION. The Blue Book defines deviation as the number of
 * minutes from local time to UTC: UTC = local + deviation, so a clock in
 * Central European Time (UTC+01:00) sends -60, and one in New York (UTC-05:00)
 * sends +300. This is the opposite of the ISO-8601 offset. Sources that agree:
 * the dlms-cosem Python library (u9n/dlms-cosem, dlms_cosem/time.py,
 * utc_offset_minutes: "In the Blue Book 4.1.6.1 the timezone deviation is
 * defined as minutes from local time to UTC" and negates it); Gurux (e.g.
 * gurux.dlms.java GXDLMSClient.setUseUtc2NormalTime: "Standard says that Time
 * zone is from normal time to UTC in minutes"); the OSGP smart-metering
 * documentation (SynchronizeTime.md: CEST is sent as deviation -120). Some
 * companion standards and meters do the opposite (Gurux enables its
 * "UseUtc2NormalTime" option for the Italian, Indian and Saudi standards), so
 * every conversion here takes the rule explicitly: AMI_COSEM_DEV_STANDARD is
 * the Blue Book rule, AMI_COSEM_DEV_UTC_TO_LOCAL the inverted one.
 */
#ifndef AMI_COSEM_TIME_H
#define AMI_COSEM_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "Not specified" (wildcard) values of each field. */
#define AMI_COSEM_YEAR_UNSPEC      0xFFFFu
#define AMI_COSEM_UNSPEC           0xFFu /* month, day, dow, h, m, s, 1/100 */
#define AMI_COSEM_DEVIATION_UNSPEC INT16_MIN /* 0x8000 */

/* Special month values. */
#define AMI_COSEM_MONTH_DST_END   0xFDu /* daylight_savings_end */
#define AMI_COSEM_MONTH_DST_BEGIN 0xFEu /* daylight_savings_begin */
/* Special day-of-month values. */
#define AMI_COSEM_DAY_2ND_LAST 0xFDu /* second last day of the month */
#define AMI_COSEM_DAY_LAST     0xFEu /* last day of the month */

/* Clock status bits (Blue Book §4.1.6.1, clock_status). */
#define AMI_COSEM_STATUS_INVALID        0x01u /* invalid value */
#define AMI_COSEM_STATUS_DOUBTFUL       0x02u /* doubtful value */
#define AMI_COSEM_STATUS_DIFFERENT_BASE 0x04u /* different clock base */
#define AMI_COSEM_STATUS_INVALID_STATUS 0x08u /* invalid clock status */
#define AMI_COSEM_STATUS_DST_ACTIVE     0x80u /* daylight saving active */
/* The status byte itself "not specified". */
#define AMI_COSEM_STATUS_UNSPEC 0xFFu

typedef struct ami_cosem_date {
  uint16_t year;       /* 0..0xFFFE, or 0xFFFF unspecified */
  uint8_t month;       /* 1..12, 0xFD, 0xFE, 0xFF */
  uint8_t day;         /* 1..31, 0xFD (2nd last), 0xFE (last), 0xFF */
  uint8_t day_of_week; /* 1 = Monday .. 7 = Sunday, 0xFF */
} ami_cosem_date;

typedef struct ami_cosem_time {
  uint8_t hour;       /* 0..23, 0xFF */
  uint8_t minute;     /* 0..59, 0xFF */
  uint8_t second;     /* 0..59, 0xFF */
  uint8_t hundredths; /* 0..99, 0xFF */
} ami_cosem_time;

typedef struct ami_cosem_datetime {
  ami_cosem_date date;
  ami_cosem_time time;
  int16_t deviation; /* minutes, -720..720, or INT16_MIN unspecified; the sign
                        convention is the caller's rule (see above) */
  uint8_t status;    /* AMI_COSEM_STATUS_* bits, or 0xFF unspecified */
} ami_cosem_datetime;

/* How the deviation field relates local time and UTC. */
typedef enum ami_cosem_dev_rule {
  /* Blue Book: deviation = UTC - local, in minutes (CET sends -60). */
  AMI_COSEM_DEV_STANDARD = 0,
  /* Inverted: deviation = local - UTC (CET sends +60); Gurux
   * "UseUtc2NormalTime", some companion standards. */
  AMI_COSEM_DEV_UTC_TO_LOCAL = 1
} ami_cosem_dev_rule;

/* ---- raw encodings: never fail, keep every bit ----------------------------
 */

void ami_cosem_date_decode(const uint8_t in[5], ami_cosem_date *out);
void ami_cosem_date_encode(const ami_cosem_date *d, uint8_t out[5]);
void ami_cosem_time_decode(const uint8_t in[4], ami_cosem_time *out);
void ami_cosem_time_encode(const ami_cosem_time *t, uint8_t out[4]);
void ami_cosem_datetime_decode(const uint8_t in[12], ami_cosem_datetime *out);
void ami_cosem_datetime_encode(const ami_cosem_datetime *dt, uint8_t out[12]);

/* A date-time with every field "not specified" (status 0xFF too). */
ami_cosem_datetime ami_cosem_datetime_unspecified(void);

/* ---- validation ---------------------------------------------------------- */

/* AMI_OK when every field is in range or one of its defined special values;
 * AMI_E_BAD_VALUE otherwise: month 0 or 13..0xFC, day 0 or 32..0xFC (the
 * reserved 0xE0..0xFC included), day-of-week 0 or 8..0xFE, a day beyond the
 * month's length (when year and month are known, or month alone: 30 Feb), a
 * day-of-week that contradicts a fully specified date. */
int ami_cosem_date_validate(const ami_cosem_date *d);
/* hour 0..23, minute/second 0..59, hundredths 0..99, each or 0xFF. */
int ami_cosem_time_validate(const ami_cosem_time *t);
/* Both of the above, plus deviation -720..720 or 0x8000. The status byte is
 * not checked (all bit patterns are meaningful or reserved). */
int ami_cosem_datetime_validate(const ami_cosem_datetime *dt);

/* ---- conversion ---------------------------------------------------------- */

/* The instant a date-time names, as seconds since 1970-01-01T00:00:00Z plus
 * hundredths (0..99; a 0xFF "not specified" hundredths counts as 0). Needs
 * year, month 1..12, day 1..31, hour, minute, second and the deviation
 * specified and in range (AMI_E_BAD_VALUE otherwise); the day-of-week and
 * status are ignored. `rule` says how to read the deviation. */
int ami_cosem_datetime_to_utc(const ami_cosem_datetime *dt,
                              ami_cosem_dev_rule rule, int64_t *utc_seconds,
                              uint8_t *hundredths);

/* The date-time of an instant as seen in a zone whose ISO-8601 offset is
 * `utc_offset_min` minutes (local = UTC + offset; +60 for CET), with the
 * deviation written according to `rule`, the day of week filled in, and the
 * given status byte. AMI_E_RANGE if the offset is beyond +-720 minutes, the
 * hundredths beyond 99, or the local year outside 0..0xFFFE. */
int ami_cosem_datetime_from_utc(int64_t utc_seconds, uint8_t hundredths,
                                int utc_offset_min, ami_cosem_dev_rule rule,
                                uint8_t status, ami_cosem_datetime *out);

/* ---- text ---------------------------------------------------------------- */

/* ISO-8601 text of a date-time, e.g. "2026-11-22T03:52:21.14+01:00" (the
 * deviation is shown as the ISO offset, so -60 under the standard rule prints
 * "+01:00"; a deviation of 0 prints "Z"). Unspecified fields print as '*' of
 * the field's width ("****-12-25T**:**:**"); hundredths 0xFF and deviation
 * 0x8000 are left out (local time, no zone); special months and days print
 * in braces ("{dst-begin}", "{last}", "{2nd-last}"), out-of-range values as
 * "{0xNN}"; a specified day of week whose date has a wildcard is appended as
 * " dow=N". Writes at most cap-1 characters plus a NUL (when cap > 0) and
 * returns the length the full text needs, like snprintf. */
size_t ami_cosem_datetime_format(const ami_cosem_datetime *dt,
                                 ami_cosem_dev_rule rule, char *out,
                                 size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* AMI_COSEM_TIME_H */
