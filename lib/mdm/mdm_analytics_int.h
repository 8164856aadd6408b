/*
 * mdm_analytics_int.h -- helpers shared by the analytics sources
 * (lib/mdm/ami_mdm_analytics*.c). Not a public header.
 */
#ifndef MDM_ANALYTICS_INT_H
#define MDM_ANALYTICS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_mdm_analytics.h"

/* Floor division (local day numbers before 1970 round down). */
static inline int64_t ami__an_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

/* A series is usable by the analytics: interval divides a day, data set. */
static inline bool ami__an_series_ok(const ami_mdm_series *s) {
  return s != NULL && s->interval_s >= 60 && s->interval_s <= 86400 &&
         86400 % s->interval_s == 0 && (s->iv != NULL || s->n == 0);
}

/* UTC START instant of interval i of s. */
static inline int64_t ami__an_start(const ami_mdm_series *s, size_t i) {
  return s->t0 + ((int64_t)i - 1) * (int64_t)s->interval_s;
}

/* Sorts v[0..n) ascending and returns its median (mean of the two middle
 * values, rounded down, for even n); 0 for n = 0. */
int64_t ami__an_median(int64_t *v, size_t n);

/* Daily totals of s per local day of tz over days [first, first + n_days):
 * tot[d] is the sum of the day's usable values, ok[d] true when the day is
 * complete (every expected interval present and usable). */
void ami__an_daily_totals(const ami_mdm_series *s, const ami_mdm_tz *tz,
                          int64_t first, size_t n_days, int64_t *tot, bool *ok);

#endif /* MDM_ANALYTICS_INT_H */
