/*
 * meter_ctl_internal.h -- saturating int64 arithmetic shared by the
 * supply-control modules of lib/meter (limiter times, prepayment money).
 * Money and times come partly from outside (DLMS SETs, tokens, a caller's
 * energy deltas); a sum that would overflow stops at the int64 limit
 * instead of wrapping (undefined behaviour in C). Not a public header.
 */
#ifndef AMI_METER_CTL_INTERNAL_H
#define AMI_METER_CTL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

static inline int64_t ami__meter_sat_add(int64_t a, int64_t b) {
  if (b > 0 && a > INT64_MAX - b)
    return INT64_MAX;
  if (b < 0 && a < INT64_MIN - b)
    return INT64_MIN;
  return a + b;
}

static inline int64_t ami__meter_sat_sub(int64_t a, int64_t b) {
  if (b < 0 && a > INT64_MAX + b)
    return INT64_MAX;
  if (b > 0 && a < INT64_MIN + b)
    return INT64_MIN;
  return a - b;
}

static inline int64_t ami__meter_sat_mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  bool neg = (a < 0) != (b < 0);
  bool over = a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
                    : (b > 0 ? a < INT64_MIN / b : b < INT64_MAX / a);
  if (over)
    return neg ? INT64_MIN : INT64_MAX;
  return a * b;
}

#endif /* AMI_METER_CTL_INTERNAL_H */
