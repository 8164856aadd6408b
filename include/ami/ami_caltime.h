/*
 * ami_caltime.h -- proleptic Gregorian calendar arithmetic on plain integers.
 *
 * No clock is read here: time is always an argument. Used by the COSEM
 * date-time helpers, tariff calendars and MDM day boundaries.
 */
#ifndef AMI_CALTIME_H
#define AMI_CALTIME_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31). Valid
 * for any year representable in int32. */
int64_t ami_days_from_civil(int32_t y, unsigned m, unsigned d);

/* Inverse of ami_days_from_civil. */
void ami_civil_from_days(int64_t days, int32_t *y, unsigned *m, unsigned *d);

/* ISO weekday of a day count: 1 = Monday ... 7 = Sunday (the DLMS
 * day-of-week numbering). */
unsigned ami_weekday_from_days(int64_t days);

bool ami_is_leap_year(int32_t y);

/* Number of days in month m (1..12) of year y; 0 for an invalid month. */
unsigned ami_days_in_month(int32_t y, unsigned m);

#ifdef __cplusplus
}
#endif
#endif /* AMI_CALTIME_H */
