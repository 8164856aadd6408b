/*
 * ami_mdm_analytics.h -- analytics over interval data in memory: aggregates
 * per local day/week/month and per group of meters, typical daily shapes by
 * k-means clustering, theft and fault anomaly scores, outage detection
 * from events and missing reads, day-ahead load forecasts and their error
 * measures. Pure functions over arrays (no I/O, no clock); the few that
 * need scratch memory take an injected allocator (NULL = default).
 *
 * Series convention (that of ami_mdm_vee.h): interval i of a series ends at
 * t0 + i * interval_s (UTC seconds) and belongs to the LOCAL day (ami_mdm_tz)
 * in which it STARTS, so DST days have 23 or 25 hours. A value is USABLE
 * unless its quality is MISSING or VALIDATION_FAILED (estimates are usable
 * but counted). Values are milli-units (ami_mdm.h).
 *
 * Ownership: every pointer argument is BORROWED for the duration of the
 * call and nothing is retained; results go to caller-owned arrays of the
 * stated capacity (functions that return a count report how many entries
 * exist even when that exceeds the capacity). Scratch memory, where
 * needed, is allocated and freed within the call.
 *
 * The definitions, defaults and the measured forecast errors on the London
 * households are in docs/mdm-analytics.md.
 */
#ifndef AMI_MDM_ANALYTICS_H
#define AMI_MDM_ANALYTICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_alloc.h"
#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One channel's values on a regular grid. `iv` is borrowed. */
typedef struct ami_mdm_series {
  int64_t t0;          /* END of interval 0, UTC seconds */
  uint32_t interval_s; /* 60 .. 86400, divides 86400 */
  const ami_mdm_interval *iv;
  size_t n;
} ami_mdm_series;

/* Whether a value may be used by analytics (not MISSING, not FAILED). */
bool ami_mdm_usable(const ami_mdm_interval *v);

/* ---------------------------------------------------------------------- */
/* 1. Aggregates */

typedef enum ami_mdm_period {
  AMI_MDM_PERIOD_DAY = 0,
  AMI_MDM_PERIOD_WEEK = 1, /* ISO week: Monday .. Sunday, local */
  AMI_MDM_PERIOD_MONTH = 2 /* calendar month, local */
} ami_mdm_period;

enum {
  /* Some intervals of the period are missing (in the series or outside
   * it): sum is a partial sum, mean is over the present values. */
  AMI_MDM_AGG_INCOMPLETE = 1u << 0,
  AMI_MDM_AGG_ESTIMATED = 1u << 1, /* some values are estimates */
  AMI_MDM_AGG_EMPTY = 1u << 2      /* no usable value: only counts valid */
};

/* One period's aggregate. Load factor = mean / peak (average demand over
 * peak demand over the same intervals), x1000; 0 when peak <= 0. */
typedef struct ami_mdm_agg {
  int64_t first_day;  /* local day number of the period's first day */
  int64_t start_t;    /* UTC instant of the period's local start */
  int64_t end_t;      /* UTC instant of the period's local end */
  uint32_t expected;  /* intervals the period has (DST-aware) */
  uint32_t present;   /* usable values found */
  uint32_t estimated; /* of those, ESTIMATED/SUBSTITUTED/EDITED */
  int64_t sum;        /* milli-units, over usable values */
  int64_t mean;       /* sum / present, rounded half away from zero */
  int64_t peak;       /* largest usable value */
  int64_t peak_t;     /* END instant of the (first) peak interval */
  uint32_t load_factor_milli;
  uint16_t flags; /* AMI_MDM_AGG_* */
} ami_mdm_agg;

/* Aggregates s per local period of tz (NULL = UTC), one entry per period
 * touched by the series, in order, at most `cap` written. Returns the
 * number of periods touched (may exceed cap; 0 on bad arguments). */
size_t ami_mdm_aggregate(const ami_mdm_series *s, const ami_mdm_tz *tz,
                         ami_mdm_period period, ami_mdm_agg *out, size_t cap);

/* How a group sum treats meters without a usable value. */
typedef enum ami_mdm_group_policy {
  /* Sum of the present values; quality ACTUAL only if every meter is
   * present, else ESTIMATED (partial); MISSING if none is present. */
  AMI_MDM_GROUP_PARTIAL = 0,
  /* The present sum scaled by members / present (pro rata), ESTIMATED when
   * any is missing; MISSING if none is present. */
  AMI_MDM_GROUP_SCALE = 1,
  /* MISSING unless every meter is present. */
  AMI_MDM_GROUP_STRICT = 2
} ami_mdm_group_policy;

/* Sums the k member series (borrowed; all on the output grid t0 +
 * i * interval_s, their own t0 may differ by whole intervals) into
 * out[0..n). present (optional, n entries) receives the number of members
 * that contributed. AMI_E_INVAL on bad arguments or a member off the grid. */
int ami_mdm_group_sum(const ami_mdm_series *members, size_t k,
                      ami_mdm_group_policy policy, int64_t t0,
                      uint32_t interval_s, ami_mdm_interval *out, size_t n,
                      uint32_t *present);

/* Diversity factor of a group over [from, to) (UTC, interval ends in
 * (from, to]): sum of the members' individual peaks / peak of their sum,
 * x1000 (>= 1000; 0 when undefined). Borrows members. */
uint32_t ami_mdm_diversity_milli(const ami_mdm_series *members, size_t k,
                                 int64_t from, int64_t to);

/* ---------------------------------------------------------------------- */
/* 2. Typical daily shapes: normalised profiles and k-means */

/* Extracts one normalised profile per COMPLETE local day of s (every
 * interval of the day usable, day total > 0): `points` values per day
 * (48 or 96; 86400/points must divide or be a multiple of interval_s) by
 * local WALL-CLOCK slot: a value is spread evenly over the slots its
 * interval covers and each slot is the mean of what lands in it (the
 * repeated autumn hour is averaged); a slot nothing lands in (the skipped
 * spring hour) copies the slot before it. Each profile is then divided by
 * its own mean, so a profile has mean 1 whatever the household's size.
 * Writes profiles[d * points + j] and day[d] (local day number, optional)
 * for at most cap days; returns the number of complete days (may exceed
 * cap), 0 on bad arguments. */
size_t ami_mdm_daily_profiles(const ami_mdm_series *s, const ami_mdm_tz *tz,
                              uint32_t points, double *profiles, int64_t *day,
                              size_t cap);

/* k-means parameters (defaults by ami_mdm_kmeans_params_default):
 *   k         0     0 = choose k in [k_min, k_max] by the Calinski-Harabasz
 *                   variance-ratio criterion CH = (B / (k - 1)) /
 *                   (W / (n - k)), B and W the between- and within-cluster
 *                   sums of squares: the k with the largest CH wins (ties:
 *                   the smaller k)
 *   k_min     2
 *   k_max     8
 *   max_iter  100   Lloyd iterations per run (stops earlier when no point
 *                   changes cluster)
 *   restarts  4     independent k-means++ initialisations; the run with
 *                   the smallest W is kept
 *   seed      1     seeds the splitmix64 generator: same seed, same data
 *                   -> same result on every platform */
typedef struct ami_mdm_kmeans_params {
  uint32_t k;
  uint32_t k_min;
  uint32_t k_max;
  uint32_t max_iter;
  uint32_t restarts;
  uint64_t seed;
} ami_mdm_kmeans_params;

void ami_mdm_kmeans_params_default(ami_mdm_kmeans_params *p);

typedef struct ami_mdm_kmeans_result {
  uint32_t k;          /* clusters found */
  uint32_t iterations; /* Lloyd iterations of the kept run */
  double within_ss;    /* W: sum of squared distances to own centroid */
  double between_ss;   /* B: sum over points of |centroid - grand mean|^2 */
  double ch;           /* Calinski-Harabasz index of the kept k (0 if k=1) */
  uint32_t size[32];   /* points per cluster (k <= 32) */
} ami_mdm_kmeans_result;

/* Clusters the n points x[i * dim .. i * dim + dim) (borrowed) into k
 * clusters with k-means++ initialisation (D^2 sampling) and Lloyd
 * iterations; an empty cluster takes the point farthest from its
 * centroid. Clusters are numbered by decreasing size (ties: by the
 * centroid's first differing coordinate), so results compare across runs.
 * Writes centroids[c * dim + j] (capacity: k_max, or k, times dim) and
 * assign[i] (n entries). Scratch memory from `a` (NULL = default).
 * AMI_E_INVAL: n < k, dim 0, k > 32 or k_min > k_max; AMI_E_NOMEM. */
int ami_mdm_kmeans(const ami_mdm_kmeans_params *p, const double *x, size_t n,
                   size_t dim, double *centroids, uint32_t *assign,
                   ami_mdm_kmeans_result *res, const ami_allocator *a);

/* ---------------------------------------------------------------------- */
/* 3. Anomaly scores (theft and meter faults)
 *
 * Each score is in [0, 1] (0 normal, 1 certain) with its evidence; the
 * definitions (and why) are in docs/mdm-analytics.md:
 *   drop     sustained drop against the meter's own history: median daily
 *            total of the last recent_days vs the baseline_days before,
 *            confirmed by a one-sided CUSUM on daily totals;
 *   zero     zero consumption while the supply is present;
 *   reverse  energy flowing backwards on a channel that is neither net
 *            metered nor known to have generation;
 *   tamper   a cover-open or magnetic-field event (codes 40..45) close to
 *            a drop in consumption. */

/* Supply state per interval, built from events or a voltage profile. */
enum {
  AMI_MDM_SUPPLY_UNKNOWN = 0,
  AMI_MDM_SUPPLY_ON = 1, /* voltage present, supply connected */
  AMI_MDM_SUPPLY_OFF = 2 /* outage or disconnected */
};

/* Fills supply[0..n) (one per interval of the grid t0, interval_s) from
 * events (borrowed, sorted by time): OFF between a POWER_DOWN (1) and the
 * next POWER_UP (2) and between a disconnect (60, 62, 64) and the next
 * connect (61, 63, 69), ON elsewhere (an interval touched by an OFF span is
 * OFF). AMI_E_INVAL on bad arguments or unsorted events. */
int ami_mdm_supply_from_events(const ami_mdm_event *ev, size_t n_ev, int64_t t0,
                               uint32_t interval_s, uint8_t *supply, size_t n);

/* Anomaly parameters (defaults by ami_mdm_anomaly_params_default):
 *   recent_days 28, baseline_days 56     drop windows
 *   drop_low_milli 150, drop_high_milli 600
 *                       drop score ramps from 0 at a 15 % drop to 1 at 60 %
 *   cusum_k_milli 500, cusum_h_milli 5000
 *                       CUSUM slack 0.5 and threshold 5, in units of the
 *                       baseline's robust sigma (1.4826 x MAD)
 *   zero_min_s 7200, zero_full_s 86400
 *                       zero score ramps from a 2 h zero run (with supply)
 *                       to a full day
 *   creep 10000         reverse energy per interval ignored below 10 Wh
 *   reverse_full_milli 50
 *                       reverse score 1 when reverse energy is >= 5 % of
 *                       import
 *   tamper_window_s 7 days
 *                       a drop within this time after a tamper event
 *   tamper_base_milli 300
 *                       a tamper event alone scores 0.3; a drop after it
 *                       (mean daily total of the window vs the 14 days
 *                       before) adds 0.7 x a ramp from 10 % (ordinary
 *                       day-to-day variation) to 50 % */
typedef struct ami_mdm_anomaly_params {
  uint32_t recent_days;
  uint32_t baseline_days;
  uint32_t drop_low_milli;
  uint32_t drop_high_milli;
  uint32_t cusum_k_milli;
  uint32_t cusum_h_milli;
  uint32_t zero_min_s;
  uint32_t zero_full_s;
  int64_t creep;
  uint32_t reverse_full_milli;
  uint32_t tamper_window_s;
  uint32_t tamper_base_milli;
} ami_mdm_anomaly_params;

void ami_mdm_anomaly_params_default(ami_mdm_anomaly_params *p);

/* Everything the scores look at; pointers borrowed for the call. The
 * series ends at the evaluation instant ("now"). */
typedef struct ami_mdm_anomaly_input {
  ami_mdm_series import; /* consumption (+A), delta per interval */
  /* Optional export (-A) channel on the same grid (iv NULL = none). */
  ami_mdm_series exported;
  bool net_metered;    /* export is expected (ami_mdm_channel_info) */
  bool has_generation; /* known PV/generation behind the meter */
  /* Optional per-interval AMI_MDM_SUPPLY_* of `import` (e.g. from
   * ami_mdm_supply_from_events or a voltage profile); NULL: the zero
   * score is not computed (AMI_MDM_ANOM_NO_SUPPLY). */
  const uint8_t *supply;
  const ami_mdm_event *events; /* sorted by time; tamper codes used */
  size_t n_events;
  const ami_mdm_tz *tz;
  /* Optional: the peer group's own ratio recent/baseline x1000 (the same
   * drop computed on the group's sum), so a seasonal change every meter
   * shares is not read as theft. 0 = none (ratio taken as 1000). */
  uint32_t peer_ratio_milli;
} ami_mdm_anomaly_input;

enum {
  AMI_MDM_ANOM_NO_HISTORY = 1u << 0, /* too few days for the drop score */
  AMI_MDM_ANOM_NO_SUPPLY = 1u << 1,  /* no supply series: no zero score */
  AMI_MDM_ANOM_CUSUM = 1u << 2       /* the CUSUM crossed its threshold */
};

typedef struct ami_mdm_anomaly {
  uint16_t score_drop; /* each x1000: 0 .. 1000 */
  uint16_t score_zero;
  uint16_t score_reverse;
  uint16_t score_tamper;
  uint16_t score_max; /* the largest of the four */
  uint16_t flags;     /* AMI_MDM_ANOM_* */
  /* drop evidence */
  int64_t baseline_median;  /* median daily total of the baseline, milli */
  int64_t recent_median;    /* median daily total of the recent window */
  uint32_t ratio_milli;     /* recent / baseline x1000 (peer-adjusted) */
  int64_t change_day;       /* local day the CUSUM run began (-1: none) */
  uint32_t cusum_max_milli; /* largest CUSUM value, x1000 sigma */
  /* zero evidence */
  uint32_t zero_run_s; /* longest run of zeros with supply ON */
  int64_t zero_run_t;  /* END of its first interval (0: none) */
  /* reverse evidence */
  uint32_t reverse_n;  /* intervals with reverse energy above creep */
  int64_t reverse_sum; /* reverse energy, milli */
  int64_t reverse_first_t;
  /* tamper evidence */
  uint32_t tamper_n; /* tamper events (40..45) in the series span */
  int64_t tamper_t;  /* the event with the highest score (0: none) */
  uint16_t tamper_code;
  uint32_t tamper_ratio_milli; /* after / before daily mean x1000 */
} ami_mdm_anomaly;

/* Computes the four scores. Scratch memory (one entry per local day) from
 * `a`. AMI_E_INVAL on bad arguments; AMI_E_NOMEM. */
int ami_mdm_anomaly_score(const ami_mdm_anomaly_params *p,
                          const ami_mdm_anomaly_input *in, ami_mdm_anomaly *out,
                          const ami_allocator *a);

/* ---------------------------------------------------------------------- */
/* 4. Outages */

enum {
  AMI_MDM_OUT_EVENTS = 1u << 0,        /* from a POWER_DOWN/POWER_UP pair */
  AMI_MDM_OUT_MISSING = 1u << 1,       /* from missing/outage-flagged reads */
  AMI_MDM_OUT_START_UNKNOWN = 1u << 2, /* no last gasp: start estimated */
  AMI_MDM_OUT_END_UNKNOWN = 1u << 3    /* not restored by the series end */
};

typedef struct ami_mdm_outage {
  uint64_t meter_id;
  int64_t start; /* UTC */
  int64_t end;   /* UTC; the end of the evidence when END_UNKNOWN */
  uint16_t flags;
} ami_mdm_outage;

/* Outage detection parameters (defaults by ami_mdm_outage_params_default):
 *   missing_min_s 3600   a run of missing (or POWER_OUTAGE-flagged) reads
 *                        without events counts from one hour on (shorter
 *                        gaps are more often communication losses)
 *   window_s 300         feeder level: meters whose outages START within
 *                        5 minutes of the first one form one event
 *   min_meters 3         ... if at least 3 distinct meters are affected */
typedef struct ami_mdm_outage_params {
  uint32_t missing_min_s;
  uint32_t window_s;
  uint32_t min_meters;
} ami_mdm_outage_params;

void ami_mdm_outage_params_default(ami_mdm_outage_params *p);

/* One meter's outages from its events (borrowed, sorted by time; codes 1
 * POWER_DOWN "last gasp" and 2 POWER_UP used) and, optionally, its series
 * s (NULL: events only). A DOWN..UP pair is an outage; a DOWN never
 * followed by UP ends at the first usable read after it (else the series
 * end, END_UNKNOWN); an UP without a DOWN starts where the run of missing
 * reads before it starts (else at the UP, START_UNKNOWN); a run of missing
 * reads of at least missing_min_s overlapping no event outage is an outage
 * of its own (MISSING only). Observation ends at the later of the last
 * event and the series end. Writes at most cap outages sorted by start;
 * returns how many were found (may exceed cap). *err = AMI_E_INVAL on bad
 * arguments or unsorted events (0 returned), else AMI_OK. */
size_t ami_mdm_outages_meter(const ami_mdm_outage_params *p, uint64_t meter_id,
                             const ami_mdm_event *ev, size_t n_ev,
                             const ami_mdm_series *s, ami_mdm_outage *out,
                             size_t cap, int *err);

/* A feeder-level outage: many meters losing power together. */
typedef struct ami_mdm_feeder_outage {
  int64_t start;         /* earliest start */
  int64_t end;           /* latest end (last meter restored) */
  int64_t duration_s;    /* end - start */
  uint32_t meters;       /* distinct meters affected */
  int64_t meter_seconds; /* sum of the members' durations (for SAIDI) */
  uint16_t flags;        /* OR of the members' flags */
} ami_mdm_feeder_outage;

/* Groups per-meter outages (SORTED IN PLACE by start) into feeder events:
 * outages whose start lies within window_s of the group's first start form
 * a group, reported when it has at least min_meters distinct meters.
 * Writes at most cap events; returns how many were found. */
size_t ami_mdm_outages_aggregate(const ami_mdm_outage_params *p,
                                 ami_mdm_outage *per_meter, size_t n,
                                 ami_mdm_feeder_outage *out, size_t cap);

/* ---------------------------------------------------------------------- */
/* 5. Day-ahead forecasts and their error */

typedef enum ami_mdm_fc_method {
  /* Seasonal naive: the same wall-clock slot on the same weekday a week
   * before (day - 7). */
  AMI_MDM_FC_NAIVE_WEEK = 0,
  /* Persistence: the same slot yesterday (day - 1). */
  AMI_MDM_FC_NAIVE_DAY = 1,
  /* Weighted mean of the same slot on the last n_days same weekdays
   * (day - 7j, j = 1..n_days), weight decay^(j-1): recent weeks count more. */
  AMI_MDM_FC_WEEKDAY_AVG = 2,
  /* Weighted mean of the same slot on the last n_days days of the same day
   * type (weekday / Saturday-Sunday) within 5 weeks, weight decay^(j-1). */
  AMI_MDM_FC_DAYTYPE_AVG = 3,
  /* Least squares per meter, fitted on the fit_days before the day over
   * all slots: y(d,s) = b0 + b1 y(d-1,s) + b2 y(d-7,s) + b3 m7(s) +
   * b4 weekend(d), m7(s) the mean of the slot over the 7 days before. */
  AMI_MDM_FC_REGRESSION = 4,
  AMI_MDM_FC_COUNT = 5
} ami_mdm_fc_method;

/* Forecast parameters (defaults by ami_mdm_fc_params_default):
 *   n_days 4, decay_milli 800, fit_days 56. */
typedef struct ami_mdm_fc_params {
  ami_mdm_fc_method method;
  uint32_t n_days;
  uint32_t decay_milli;
  uint32_t fit_days;
} ami_mdm_fc_params;

void ami_mdm_fc_params_default(ami_mdm_fc_params *p, ami_mdm_fc_method m);

/* Short name of a method ("seasonal naive (d-7)"), or "?". */
const char *ami_mdm_fc_method_name(int m);

/* Forecasts local day `day` of tz from hist (borrowed). Only values that
 * START before the day's local midnight are read, so hist may run on (the
 * evaluation passes the whole series). Writes one value per interval of
 * the day (46/48/50 at 30 min; the day's first interval ends at local
 * midnight + interval_s) to out[0..cap) and the count to *n_out: quality
 * ESTIMATED, or MISSING where the method had no usable source value.
 * AMI_E_BUFFER_FULL if cap is too small; AMI_E_INVAL on bad arguments. */
int ami_mdm_forecast_day(const ami_mdm_fc_params *p, const ami_mdm_series *hist,
                         const ami_mdm_tz *tz, int64_t day,
                         ami_mdm_interval *out, size_t cap, size_t *n_out);

/* Error accumulator. MAPE is undefined where the actual is zero, and
 * households have near-zero half-hours, so:
 *   MAPE = 100 / n_mape * sum |a - f| / |a|  over points with |a| >= floor
 *          (points below the floor are counted in n_skipped)
 *   WAPE = 100 * sum |a - f| / sum |a|        over all points
 *          (= NMAE, the MAE normalised by the mean actual: robust to zeros)
 *   MAE, RMSE, bias (mean f - a) in milli-units over all points. */
typedef struct ami_mdm_fc_err {
  int64_t floor; /* MAPE floor, milli-units (0: only exact zeros skipped) */
  uint64_t n, n_mape, n_skipped;
  double sum_abs, sum_sq, sum_err, sum_actual_abs, sum_ape;
} ami_mdm_fc_err;

void ami_mdm_fc_err_init(ami_mdm_fc_err *e, int64_t floor);

/* Adds one point (milli-units). */
void ami_mdm_fc_err_add(ami_mdm_fc_err *e, int64_t actual, int64_t forecast);

/* Adds the points i where both actual[i] and forecast[i] are usable;
 * returns how many were added. */
size_t ami_mdm_fc_err_add_series(ami_mdm_fc_err *e,
                                 const ami_mdm_interval *actual,
                                 const ami_mdm_interval *forecast, size_t n);

/* Adds every point of b into a (same floor assumed). */
void ami_mdm_fc_err_merge(ami_mdm_fc_err *a, const ami_mdm_fc_err *b);

double ami_mdm_fc_mape(const ami_mdm_fc_err *e); /* percent; NaN if none */
double ami_mdm_fc_wape(const ami_mdm_fc_err *e); /* percent; NaN if none */
double ami_mdm_fc_mae(const ami_mdm_fc_err *e);
double ami_mdm_fc_rmse(const ami_mdm_fc_err *e);
double ami_mdm_fc_bias(const ami_mdm_fc_err *e);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_ANALYTICS_H */
