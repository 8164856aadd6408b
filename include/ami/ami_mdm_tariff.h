/*
 * ami_mdm_tariff.h -- the in-memory tariff model of the MDM billing engine.
 *
 * A tariff is plain data of fixed size (no allocation; the only pointers
 * are those of a caller's AMI_MDM_TZ_CUSTOM zone callback): the
 * JSON loader (plugins/json, ami_mdm_tariff_json.h) fills one from a file in
 * tariffs/ (JSON); tests may fill one by hand. The billing arithmetic is in
 * ami_mdm_bill.h.
 *
 * UNITS (all integers, never floating point):
 *   - energy in milli-Wh (the ami_mdm.h value unit: 1000 = 1 Wh);
 *   - demand in milli-W (kW = energy * 3600 / interval_s);
 *   - prices in MICRO-units of the currency per kWh, per kW or per day
 *     (1 EUR = 1,000,000 micro-EUR), so that published prices with 4 to 6
 *     decimals are exact;
 *   - amounts of money in MINOR units (cents), int64;
 *   - tax rates in parts per million (19% = 190000).
 *
 * TIME: UTC seconds since the Unix epoch. Local time = UTC + offset, where
 * the offset is that of the tariff's zone (ami_mdm_tz.h: the standard
 * offset plus the DST saving while DST is in force under the EU, US or
 * Australian rule).
 */
#ifndef AMI_MDM_TARIFF_H
#define AMI_MDM_TARIFF_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tz.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AMI_MDM_TARIFF_NAME_MAX     48  /* bytes incl. NUL: periods, seasons */
#define AMI_MDM_TARIFF_TITLE_MAX    128 /* bytes incl. NUL: the tariff name */
#define AMI_MDM_TARIFF_MAX_PERIODS  8
#define AMI_MDM_TARIFF_MAX_SEASONS  4
#define AMI_MDM_TARIFF_MAX_SEGMENTS 16 /* per day type of a season */
#define AMI_MDM_TARIFF_MAX_TIERS    6
#define AMI_MDM_TARIFF_MAX_DEMAND   4
#define AMI_MDM_TARIFF_MAX_TAXES    4
#define AMI_MDM_TARIFF_MAX_HOLIDAYS 64
/* Largest price accepted: 10^12 micro = 1,000,000 currency units per kWh,
 * kW or day (far above any real tariff; keeps products within 128 bits). */
#define AMI_MDM_TARIFF_MAX_PRICE INT64_C(1000000000000)

/* ---------------------------------------------------------------------- */
/* The tariff */

/* Day types: ami_mdm_day_type (ami_mdm.h). */

/* One switching point of a day schedule: from `start_min` (minutes after
 * local midnight) until the next segment's start (or 24:00) the period is
 * `period`. Segments are sorted; the first starts at 0. */
typedef struct ami_mdm_tou_segment {
  uint16_t start_min;
  uint8_t period; /* index into ami_mdm_tariff.period_name */
} ami_mdm_tou_segment;

typedef struct ami_mdm_day_schedule {
  uint8_t n;
  ami_mdm_tou_segment seg[AMI_MDM_TARIFF_MAX_SEGMENTS];
} ami_mdm_day_schedule;

/* A season: the local dates from..to inclusive, written month*100+day
 * (0601 .. 0930); from > to wraps over the new year (1001 .. 0331). */
typedef struct ami_mdm_season {
  char name[AMI_MDM_TARIFF_NAME_MAX];
  uint16_t from_md, to_md;
  ami_mdm_day_schedule day[AMI_MDM_DAY_TYPES];
  int64_t price[AMI_MDM_TARIFF_MAX_PERIODS]; /* micro/kWh, TOU energy */
} ami_mdm_season;

typedef enum ami_mdm_energy_kind {
  AMI_MDM_ENERGY_FLAT = 0,  /* one price for all energy */
  AMI_MDM_ENERGY_TOU = 1,   /* season.price[period] */
  AMI_MDM_ENERGY_TIERED = 2 /* inclining blocks per billing cycle */
} ami_mdm_energy_kind;

#define AMI_MDM_TIER_UNLIMITED INT64_MAX

typedef struct ami_mdm_tier {
  int64_t up_to_mwh; /* cumulative upper bound in the cycle, milli-Wh */
  int64_t price;     /* micro/kWh */
} ami_mdm_tier;

typedef struct ami_mdm_demand_charge {
  uint32_t interval_s; /* 900 or 1800: the demand averaging window */
  int16_t period;      /* TOU period index, or -1 for any time */
  int64_t price;       /* micro/kW of the maximum demand in the cycle */
} ami_mdm_demand_charge;

typedef enum ami_mdm_netting {
  AMI_MDM_NET_NONE = 0,     /* export is ignored (no net metering) */
  AMI_MDM_NET_INTERVAL = 1, /* import and export net within each interval */
  AMI_MDM_NET_DAY = 2,      /* ... within each local day, per TOU period */
  AMI_MDM_NET_CYCLE = 3     /* ... over the billing cycle, per TOU period */
} ami_mdm_netting;

/* Line-item categories; taxes select the categories they apply to. */
typedef enum ami_mdm_line_cat {
  AMI_MDM_LINE_ENERGY = 0,
  AMI_MDM_LINE_DEMAND = 1,
  AMI_MDM_LINE_FIXED = 2,
  AMI_MDM_LINE_EXPORT = 3, /* export credit (negative amounts) */
  AMI_MDM_LINE_TAX = 4
} ami_mdm_line_cat;

typedef struct ami_mdm_tax {
  char name[AMI_MDM_TARIFF_NAME_MAX];
  uint32_t rate_ppm;
  uint8_t applies; /* bit set of 1u << ami_mdm_line_cat (not TAX) */
} ami_mdm_tax;

typedef struct ami_mdm_tariff {
  char name[AMI_MDM_TARIFF_TITLE_MAX];
  char currency[4];  /* ISO 4217 alphabetic, NUL-terminated */
  ami_mdm_tz tz;     /* the local time of calendars (ami_mdm_tz.h); a CUSTOM
                        zone's fn and user are borrowed */
  uint8_t n_periods; /* >= 1 */
  char period_name[AMI_MDM_TARIFF_MAX_PERIODS][AMI_MDM_TARIFF_NAME_MAX];
  uint8_t n_seasons; /* >= 1; together they cover every date once */
  ami_mdm_season season[AMI_MDM_TARIFF_MAX_SEASONS];
  uint16_t n_holidays;
  int64_t holiday[AMI_MDM_TARIFF_MAX_HOLIDAYS]; /* local day numbers */
  uint8_t energy_kind;                          /* ami_mdm_energy_kind */
  int64_t flat_price;                           /* micro/kWh */
  uint8_t n_tiers;
  ami_mdm_tier tier[AMI_MDM_TARIFF_MAX_TIERS]; /* last is UNLIMITED */
  uint8_t n_demand;
  ami_mdm_demand_charge demand[AMI_MDM_TARIFF_MAX_DEMAND];
  uint8_t netting;      /* ami_mdm_netting */
  int64_t export_price; /* micro/kWh credited for net export */
  int64_t daily_charge; /* micro per day */
  uint8_t n_taxes;
  ami_mdm_tax tax[AMI_MDM_TARIFF_MAX_TAXES];
} ami_mdm_tariff;

/* A one-period, one-season, flat-price tariff in `tz` (cannot fail); a
 * base for hand-built tariffs in code and tests. */
void ami_mdm_tariff_init_flat(ami_mdm_tariff *t, const ami_mdm_tz *tz,
                              int64_t price_micro_per_kwh);

/* Structural check of a tariff built in code: counts within limits, every
 * index in range, segments sorted from 0, tiers increasing and ending
 * UNLIMITED, seasons covering every date exactly once, no negative price,
 * a known zone kind (CUSTOM with a callback), offsets within +-14 h, DST
 * saving 0..7200 s.
 * AMI_OK or AMI_E_INVAL (the JSON loader reports the precise place). */
int ami_mdm_tariff_check(const ami_mdm_tariff *t);

/* Where UTC instant `utc` falls: season index, day type, TOU period index,
 * all evaluated in local time. Any output pointer may be NULL. */
void ami_mdm_tariff_classify(const ami_mdm_tariff *t, int64_t utc,
                             unsigned *season, unsigned *day_type,
                             unsigned *period);

/* A classifier for a forward walk over intervals (billing): the same
 * answers as ami_mdm_tariff_classify, but the local day's offset, season
 * and day type are computed once per local day (or per half hour around a
 * DST change) instead of once per interval. Zero-initialise, then set t;
 * it holds no resources. */
typedef struct ami_mdm_tariff_cursor {
  const ami_mdm_tariff *t;
  int64_t lo, hi; /* UTC range the cached day is valid for (hi 0: none) */
  int32_t offset; /* local - UTC in [lo, hi) */
  int64_t day;    /* local day number */
  unsigned season, day_type;
} ami_mdm_tariff_cursor;

void ami_mdm_tariff_classify_at(ami_mdm_tariff_cursor *c, int64_t utc,
                                unsigned *season, unsigned *day_type,
                                unsigned *period, int64_t *local_day);

/* Season index of the local date month m, day d (first match). */
unsigned ami_mdm_tariff_season_of(const ami_mdm_tariff *t, unsigned m,
                                  unsigned d);

/* Round-half-even quotient a*b/d with overflow detection: the ONE rounding
 * rule of billing (every line item and every tax is rounded once, half to
 * even, to a whole minor unit). d > 0. AMI_OK or AMI_E_RANGE. */
int ami_mdm_muldiv_round(int64_t a, int64_t b, int64_t d, int64_t *out);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_TARIFF_H */
