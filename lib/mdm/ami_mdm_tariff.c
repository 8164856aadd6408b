/*
 * ami_mdm_tariff.c -- the tariff calendar (season, day type, TOU period
 * of an instant, in the local time of ami_mdm_tz.c), the structural check
 * of a tariff, and the one rounding rule of billing.
 *
 * Pure arithmetic on integers: no clock, no allocation, no I/O.
 */
#include "ami/ami_mdm_tariff.h"

#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"

/* Floor division for possibly negative instants (C division truncates). */
static int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0)))
    q--;
  return q;
}

void ami_mdm_tariff_init_flat(ami_mdm_tariff *t, const ami_mdm_tz *tz,
                              int64_t price_micro_per_kwh) {
  memset(t, 0, sizeof *t);
  memcpy(t->name, "flat", 5);
  memcpy(t->currency, "EUR", 4);
  if (tz != NULL)
    t->tz = *tz;
  t->n_periods = 1;
  memcpy(t->period_name[0], "all", 4);
  t->n_seasons = 1;
  memcpy(t->season[0].name, "all-year", 9);
  t->season[0].from_md = 101;
  t->season[0].to_md = 1231;
  for (unsigned k = 0; k < AMI_MDM_DAY_TYPES; k++) {
    t->season[0].day[k].n = 1; /* one segment from 00:00, period 0 */
  }
  t->season[0].price[0] = price_micro_per_kwh;
  t->energy_kind = AMI_MDM_ENERGY_FLAT;
  t->flat_price = price_micro_per_kwh;
}

static bool md_in(uint16_t md, uint16_t from, uint16_t to) {
  return from <= to ? (md >= from && md <= to) : (md >= from || md <= to);
}

unsigned ami_mdm_tariff_season_of(const ami_mdm_tariff *t, unsigned m,
                                  unsigned d) {
  uint16_t md = (uint16_t)(m * 100 + d);
  for (unsigned s = 0; s < t->n_seasons; s++)
    if (md_in(md, t->season[s].from_md, t->season[s].to_md))
      return s;
  return 0;
}

/* Holidays are sorted (ami_mdm_tariff_check): binary search. */
static bool is_holiday(const ami_mdm_tariff *t, int64_t day) {
  size_t lo = 0, hi = t->n_holidays;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->holiday[mid] == day)
      return true;
    if (t->holiday[mid] < day)
      lo = mid + 1;
    else
      hi = mid;
  }
  return false;
}

void ami_mdm_tariff_classify(const ami_mdm_tariff *t, int64_t utc,
                             unsigned *season, unsigned *day_type,
                             unsigned *period) {
  /* One evaluation through a fresh cursor: one calendar rule, two uses. */
  ami_mdm_tariff_cursor c;
  memset(&c, 0, sizeof c);
  c.t = t;
  ami_mdm_tariff_classify_at(&c, utc, season, day_type, period, NULL);
}

void ami_mdm_tariff_classify_at(ami_mdm_tariff_cursor *c, int64_t utc,
                                unsigned *season, unsigned *day_type,
                                unsigned *period, int64_t *local_day) {
  const ami_mdm_tariff *t = c->t;
  if (c->hi == 0 || utc < c->lo || utc >= c->hi) {
    c->offset = ami_mdm_tz_offset(&t->tz, utc);
    int64_t local = utc + c->offset;
    c->day = floor_div(local, 86400);
    int32_t y;
    unsigned m, d;
    ami_civil_from_days(c->day, &y, &m, &d);
    c->season = ami_mdm_tariff_season_of(t, m, d);
    c->day_type = is_holiday(t, c->day)                ? AMI_MDM_DAY_HOLIDAY
                  : ami_weekday_from_days(c->day) >= 6 ? AMI_MDM_DAY_WEEKEND
                                                       : AMI_MDM_DAY_WEEKDAY;
    /* Valid to the end of the local day when the offset does not change
     * before it (a day has at most one DST change); else only to the next
     * UTC half hour, where every rule's changes fall. */
    int64_t day_end = (c->day + 1) * 86400 - c->offset;
    c->lo = utc;
    c->hi = ami_mdm_tz_offset(&t->tz, day_end - 1) == c->offset
                ? day_end
                : (floor_div(utc, 1800) + 1) * 1800;
  }
  unsigned minute = (unsigned)((utc + c->offset - c->day * 86400) / 60);
  const ami_mdm_day_schedule *ds = &t->season[c->season].day[c->day_type];
  unsigned p = ds->n > 0 ? ds->seg[0].period : 0;
  for (unsigned i = 1; i < ds->n && ds->seg[i].start_min <= minute; i++)
    p = ds->seg[i].period;
  if (season != NULL)
    *season = c->season;
  if (day_type != NULL)
    *day_type = c->day_type;
  if (period != NULL)
    *period = p;
  if (local_day != NULL)
    *local_day = c->day;
}

static int check_schedule(const ami_mdm_tariff *t,
                          const ami_mdm_day_schedule *ds) {
  if (ds->n == 0 || ds->n > AMI_MDM_TARIFF_MAX_SEGMENTS ||
      ds->seg[0].start_min != 0)
    return AMI_E_INVAL;
  for (unsigned i = 0; i < ds->n; i++) {
    if (ds->seg[i].period >= t->n_periods || ds->seg[i].start_min >= 1440)
      return AMI_E_INVAL;
    if (i > 0 && ds->seg[i].start_min <= ds->seg[i - 1].start_min)
      return AMI_E_INVAL;
  }
  return AMI_OK;
}

/* Every date of a leap year is in exactly one season. */
static int check_seasons(const ami_mdm_tariff *t) {
  if (t->n_seasons == 0 || t->n_seasons > AMI_MDM_TARIFF_MAX_SEASONS)
    return AMI_E_INVAL;
  for (unsigned m = 1; m <= 12; m++)
    for (unsigned d = 1; d <= ami_days_in_month(2000, m); d++) {
      unsigned n = 0;
      for (unsigned s = 0; s < t->n_seasons; s++)
        n += md_in((uint16_t)(m * 100 + d), t->season[s].from_md,
                   t->season[s].to_md);
      if (n != 1)
        return AMI_E_INVAL;
    }
  return AMI_OK;
}

/* The zone kinds a tariff may use: any, a CUSTOM one with its callback. */
static bool bad_tz(const ami_mdm_tz *tz) {
  return tz->kind > AMI_MDM_TZ_CUSTOM ||
         (tz->kind == AMI_MDM_TZ_CUSTOM && tz->fn == NULL);
}

static bool bad_price(int64_t p) {
  return p < 0 || p > AMI_MDM_TARIFF_MAX_PRICE;
}

int ami_mdm_tariff_check(const ami_mdm_tariff *t) {
  if (t == NULL || t->n_periods == 0 ||
      t->n_periods > AMI_MDM_TARIFF_MAX_PERIODS ||
      t->n_holidays > AMI_MDM_TARIFF_MAX_HOLIDAYS ||
      t->n_tiers > AMI_MDM_TARIFF_MAX_TIERS ||
      t->n_demand > AMI_MDM_TARIFF_MAX_DEMAND ||
      t->n_taxes > AMI_MDM_TARIFF_MAX_TAXES || bad_tz(&t->tz) ||
      t->tz.std_offset_s < -14 * 3600 || t->tz.std_offset_s > 14 * 3600 ||
      t->tz.dst_save_s < 0 || t->tz.dst_save_s > 7200 ||
      t->energy_kind > AMI_MDM_ENERGY_TIERED ||
      t->netting > AMI_MDM_NET_CYCLE || bad_price(t->flat_price) ||
      bad_price(t->export_price) || bad_price(t->daily_charge))
    return AMI_E_INVAL;
  int rc = check_seasons(t);
  if (rc != AMI_OK)
    return rc;
  for (unsigned s = 0; s < t->n_seasons; s++) {
    for (unsigned k = 0; k < AMI_MDM_DAY_TYPES; k++)
      if ((rc = check_schedule(t, &t->season[s].day[k])) != AMI_OK)
        return rc;
    for (unsigned p = 0; p < t->n_periods; p++)
      if (bad_price(t->season[s].price[p]))
        return AMI_E_INVAL;
  }
  for (unsigned i = 1; i < t->n_holidays; i++)
    if (t->holiday[i] <= t->holiday[i - 1])
      return AMI_E_INVAL;
  if (t->energy_kind == AMI_MDM_ENERGY_TIERED) {
    if (t->n_tiers == 0 ||
        t->tier[t->n_tiers - 1].up_to_mwh != AMI_MDM_TIER_UNLIMITED)
      return AMI_E_INVAL;
    for (unsigned i = 0; i < t->n_tiers; i++)
      if (bad_price(t->tier[i].price) || t->tier[i].up_to_mwh <= 0 ||
          (i > 0 && t->tier[i].up_to_mwh <= t->tier[i - 1].up_to_mwh))
        return AMI_E_INVAL;
  }
  for (unsigned i = 0; i < t->n_demand; i++) {
    const ami_mdm_demand_charge *dc = &t->demand[i];
    if ((dc->interval_s != 900 && dc->interval_s != 1800) ||
        bad_price(dc->price) || dc->period < -1 ||
        dc->period >= (int)t->n_periods)
      return AMI_E_INVAL;
  }
  for (unsigned i = 0; i < t->n_taxes; i++)
    if (t->tax[i].applies == 0 || t->tax[i].rate_ppm > 1000000 ||
        (t->tax[i].applies & (1u << AMI_MDM_LINE_TAX)) != 0)
      return AMI_E_INVAL;
  return AMI_OK;
}

/* a*b/d rounded half to even. Integers of 128 bits where the compiler has
 * them (gcc, clang on 64-bit targets); otherwise the product must fit. */
int ami_mdm_muldiv_round(int64_t a, int64_t b, int64_t d, int64_t *out) {
  if (d <= 0)
    return AMI_E_INVAL;
#ifdef __SIZEOF_INT128__
  __extension__ typedef __int128 wide;
  wide p = (wide)a * b;
#else
  typedef int64_t wide;
  wide p;
  if (__builtin_mul_overflow(a, b, &p))
    return AMI_E_RANGE;
#endif
  bool neg = p < 0;
  if (neg)
    p = -p;
  wide q = p / d, r = p % d;
  /* half-even: round up when the remainder exceeds half, or equals half
   * and the quotient is odd. */
  if (2 * r > d || (2 * r == d && (q & 1) != 0))
    q++;
  if (neg)
    q = -q;
  if (q > INT64_MAX || q < -INT64_MAX)
    return AMI_E_RANGE;
  *out = (int64_t)q;
  return AMI_OK;
}
