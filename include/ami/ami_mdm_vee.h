/*
 * ami_mdm_vee.h -- validation, estimation and editing (VEE) of interval
 * data: pure functions over arrays in memory (the store is elsewhere).
 *
 * The pipeline, each step returning NEW arrays (raw data is never changed):
 *
 *   readings (t, value) --align--> grid[n] --validate--> validated[n]
 *                                                 |
 *                                      --estimate--> final[n]
 *
 *   align     places timestamped readings on the interval grid: snaps
 *             readings within the time tolerance (flag TIME_TOLERANCE),
 *             drops those further off, keeps the last of differing
 *             duplicates (flag DUPLICATE); empty slots become MISSING.
 *   validate  runs the rule set of the channel's class, writes per-interval
 *             failures (rule id, observed value, limit) and a summary, and
 *             returns a copy with the meter multiplier applied and quality
 *             VALIDATION_FAILED where a rule whose action is FAIL fired.
 *   estimate  fills MISSING and VALIDATION_FAILED intervals (linear
 *             interpolation, average of like days, prior period, class
 *             profile) and scales estimates to register reads; every
 *             estimate records its method as an AEMO method flag (below).
 *
 * Grid convention: interval i of a series ends at t0 + i * interval_s (UTC
 * seconds, ami_mdm.h names an interval by its END). Days are LOCAL days of
 * the caller's time zone (ami_mdm_tz.h), so DST days have 23 or 25 hours.
 *
 * AEMO method flags used for estimates (MDFF "Meter Data File Format
 * Specification NEM12 & NEM13", Appendix on method flags; substitution
 * types of the Metrology Procedure Part B). In a NEM12 file the quality
 * method is the quality letter followed by this number, e.g. "E15":
 *
 *   ours                              AEMO flag  AEMO name (installation)
 *   AMI_MDM_M_LINEAR                  17         Linear (types 1-4)
 *   AMI_MDM_M_AVG_LIKE_DAY            15         (Retrospective) Average
 *                                                Like Day (types 1-4)
 *   AMI_MDM_M_LIKE_DAY (prior period) 14         (Retrospective) Like Day
 *   AMI_MDM_M_ZERO                    19         Zero (types 1-4)
 *   AMI_MDM_M_DATA_SCALING            24         Data Scaling (types 1-4,
 *                                                MDFF v7.8 and later)
 *   AMI_MDM_M_CUSTOMER_CLASS          57         Customer Class (type 5;
 *                                                types 1-4 have no profile
 *                                                method, the nearest is 57)
 *
 * Type 4 (remotely read interval) is what a smart meter is, hence the 1x
 * codes; the 5x/6x codes are for manually read and basic meters.
 */
#ifndef AMI_MDM_VEE_H
#define AMI_MDM_VEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ami/ami_mdm.h"
#include "ami/ami_mdm_tz.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Estimation methods: the value IS the AEMO method flag (see above). */
typedef enum ami_mdm_method {
  AMI_MDM_M_NONE = 0,
  AMI_MDM_M_LIKE_DAY = 14,
  AMI_MDM_M_AVG_LIKE_DAY = 15,
  AMI_MDM_M_LINEAR = 17,
  AMI_MDM_M_ZERO = 19,
  AMI_MDM_M_DATA_SCALING = 24,
  AMI_MDM_M_CUSTOMER_CLASS = 57
} ami_mdm_method;

/* Validation rules. */
typedef enum ami_mdm_rule {
  AMI_MDM_RULE_GAP = 1,            /* interval missing (completeness) */
  AMI_MDM_RULE_DUPLICATE = 2,      /* received twice with different values */
  AMI_MDM_RULE_TIME_TOLERANCE = 3, /* timestamp was off the grid */
  AMI_MDM_RULE_CLOCK_ADJUSTED = 4, /* meter clock adjusted in the interval */
  AMI_MDM_RULE_HIGH = 5,      /* local-day total above same-weekday history */
  AMI_MDM_RULE_LOW = 6,       /* local-day total below same-weekday history */
  AMI_MDM_RULE_SPIKE = 7,     /* day's highest >> its third-highest interval */
  AMI_MDM_RULE_JUMP = 8,      /* step between consecutive intervals too big */
  AMI_MDM_RULE_ZERO = 9,      /* zero run on an energised, connected meter */
  AMI_MDM_RULE_NEGATIVE = 10, /* negative value, not net-metered */
  AMI_MDM_RULE_FROZEN = 11,   /* N identical non-zero values in a row */
  AMI_MDM_RULE_REGISTER_SUM = 12, /* intervals don't add up to registers */
  AMI_MDM_RULE_COUNT = 13
} ami_mdm_rule;

/* What a rule does when it fires. */
typedef enum ami_mdm_action {
  AMI_MDM_ACT_OFF = 0,  /* rule not run */
  AMI_MDM_ACT_WARN = 1, /* failure reported, value keeps its quality */
  AMI_MDM_ACT_FAIL = 2  /* failure reported, quality VALIDATION_FAILED */
} ami_mdm_action;

/* Channel classes with documented default rule parameters. */
typedef enum ami_mdm_vee_class {
  AMI_MDM_CLASS_RESIDENTIAL_IMPORT = 0,
  AMI_MDM_CLASS_NET_METERED = 1
} ami_mdm_vee_class;

/* Rule parameters. Values are milli-units of the channel unit (for Wh
 * channels: 1,000,000 = 1 kWh); ratios and factors are x1000. Defaults by
 * ami_mdm_vee_params_default (RESIDENTIAL_IMPORT / NET_METERED):
 *   action: GAP, DUPLICATE, NEGATIVE, REGISTER_SUM, SPIKE, FROZEN, JUMP,
 *           ZERO FAIL; HIGH, LOW, TIME_TOLERANCE, CLOCK_ADJUSTED WARN.
 *           NET_METERED: NEGATIVE, ZERO and LOW OFF (export and a
 *           balanced net are normal). SPIKE judges |value| in any class.
 *   time_tolerance_s      60      a capture may lag the boundary by
 *                                  seconds; a minute off is a clock issue
 *   high_pct/high_factor  95 / 2000   day > 2 x P95 of same-weekday days
 *   low_pct/low_factor    5 / 250     day < 0.25 x P5 (net: OFF)
 *   history_min_days      3       fewer same-weekday days: rule skipped
 *   spike_ratio_milli     10000   highest > 10 x third-highest ...
 *   spike_min             1000000 ... and highest >= 1 kWh (Wh channels)
 *   jump_max              7000000 7 kWh step between intervals (~ a 63 A
 *                                  single-phase supply over 30 min)
 *   zero_min_s            86400   a whole day of zeros with power on
 *   voltage_min           50000   50 V: below it the supply is off
 *   frozen_min            24      24 identical non-zero values (12 h at
 *                                  30 min): coarse meters repeat at base
 *                                  load -- nem12-au-home-meter01 (6.25 Wh
 *                                  steps) has runs of up to 17 in three
 *                                  years, the 100 LCL households up to 9
 *   register_tol_milli    10      1 % of the register advance ...
 *   register_tol_abs      10000   ... plus 10 Wh (register resolution) */
typedef struct ami_mdm_vee_params {
  uint8_t action[AMI_MDM_RULE_COUNT]; /* ami_mdm_action per rule id */
  uint32_t time_tolerance_s;
  uint8_t high_pct;
  uint8_t low_pct;
  uint32_t high_factor_milli;
  uint32_t low_factor_milli;
  uint32_t history_min_days;
  uint32_t spike_ratio_milli;
  int64_t spike_min;
  int64_t jump_max;
  uint32_t zero_min_s;
  int64_t voltage_min;
  uint32_t frozen_min;
  uint32_t register_tol_milli;
  int64_t register_tol_abs;
} ami_mdm_vee_params;

/* Fills *p with the documented defaults of class `cls`. */
void ami_mdm_vee_params_default(ami_mdm_vee_params *p, ami_mdm_vee_class cls);

/* Everything a rule may look at. All pointers are borrowed for the call.
 * `iv` holds RAW values (meter units, before the multiplier); `history`
 * holds earlier FINAL values (multiplier applied) on the same grid, its
 * interval i ending at history_t0 + i * interval_s (may overlap nothing,
 * be absent, or end anywhere before t0). Register reads are cumulative
 * raw meter values; events use ami_meter_events.h codes: POWER_DOWN ..
 * POWER_UP is an outage (zero is expected, estimates never anchor on it),
 * REMOTE/MANUAL/LOCAL_DISCONNECT .. CONNECT means no supply by design,
 * CLOCK_ADJUSTED_* flags the interval, TERMINAL/METER_COVER_OPENED and
 * MAGNETIC_FIELD flag tamper. tz NULL = UTC days. Day rules (spike,
 * high/low) need local midnights on the grid and are skipped otherwise. */
typedef struct ami_mdm_vee_input {
  const ami_mdm_channel_info *channel;
  int64_t t0;
  const ami_mdm_interval *iv;
  size_t n;
  int64_t history_t0;
  const ami_mdm_interval *history;
  size_t history_n;
  const ami_mdm_register_read *reads;
  size_t n_reads;
  const ami_mdm_event *events;
  size_t n_events;
  const ami_mdm_tz *tz;
  /* Optional voltage (milli-volts) on the same grid (voltage[i] is the
   * interval ending at t0 + i * interval_s; voltage_n may be < n): a zero
   * interval whose voltage is present and at most voltage_min is excused
   * like an outage. NULL when the meter reports no voltage profile. */
  const ami_mdm_interval *voltage;
  size_t voltage_n;
} ami_mdm_vee_input;

/* One rule firing on one interval. */
typedef struct ami_mdm_vee_failure {
  uint32_t index;   /* interval index in the series */
  uint8_t rule;     /* ami_mdm_rule */
  uint8_t action;   /* ami_mdm_action applied */
  int64_t observed; /* the value or total judged (rule-specific) */
  int64_t limit;    /* the bound it broke (rule-specific) */
} ami_mdm_vee_failure;

typedef struct ami_mdm_vee_summary {
  uint32_t n;        /* intervals judged */
  uint32_t expected; /* intervals expected over the local days covered */
  uint32_t present;  /* non-MISSING intervals */
  uint32_t failed;   /* intervals left VALIDATION_FAILED */
  uint32_t warnings; /* failures whose action was WARN */
  uint32_t by_rule[AMI_MDM_RULE_COUNT]; /* failures per rule id */
  uint32_t n_failures;       /* failures written to the caller's array */
  uint32_t failures_dropped; /* failures beyond its capacity (counted) */
} ami_mdm_vee_summary;

/* Statistics of ami_mdm_vee_align. */
typedef struct ami_mdm_align_stats {
  uint32_t placed;     /* readings placed exactly on the grid */
  uint32_t snapped;    /* within tolerance, moved to the grid */
  uint32_t rejected;   /* off the grid beyond tolerance: dropped */
  uint32_t outside;    /* outside [t0, t0 + n * interval_s) */
  uint32_t duplicates; /* same slot again with a different value */
  uint32_t repeats;    /* same slot again with the same value (harmless) */
} ami_mdm_align_stats;

/* Places readings (any order) on the grid grid[0..n) ending at t0 + i *
 * interval_s. A reading within p->time_tolerance_s of a grid point is
 * snapped to it with AMI_MDM_F_TIME_TOLERANCE; a reading further off is
 * dropped (its slot stays MISSING unless another reading fills it). A
 * second reading for a slot with a different value replaces the first and
 * sets AMI_MDM_F_DUPLICATE (the later transmission is taken as the
 * correction); an identical one, or a MISSING one for a slot that has a
 * value, is ignored (counted in repeats). Borrows everything; writes
 * grid[0..n) and *st. AMI_E_INVAL on bad arguments. */
int ami_mdm_vee_align(const ami_mdm_vee_params *p, uint32_t interval_s,
                      const ami_mdm_reading *r, size_t nr, int64_t t0,
                      ami_mdm_interval *grid, size_t n,
                      ami_mdm_align_stats *st);

/* Number of intervals of length interval_s in local day `day` (46, 48 or
 * 50 half-hours around DST). */
uint32_t ami_mdm_vee_day_intervals(const ami_mdm_tz *tz, int64_t day,
                                   uint32_t interval_s);

/* Completeness of one LOCAL day (the DST-aware count). */
typedef struct ami_mdm_vee_day {
  int64_t day;        /* local day number */
  uint32_t expected;  /* intervals the day has (46/48/50 at 30 min) */
  uint32_t in_series; /* of those, how many lie inside the series */
  uint32_t present;   /* of those, how many are not MISSING */
} ami_mdm_vee_day;

/* Per-local-day completeness of in->iv: one entry per local day touched
 * by the series, in order, at most `cap` (further days are not written).
 * Returns the number of days touched (may exceed cap). Intervals belong to
 * the local day in which they START. */
size_t ami_mdm_vee_completeness(const ami_mdm_vee_input *in,
                                ami_mdm_vee_day *days, size_t cap);

/* Runs the rule set `p` over in->iv[0..n). Writes out[0..in->n): raw x
 * channel->multiplier_milli / 1000 (rounded half away from zero), flags
 * from the events, quality VALIDATION_FAILED where a FAIL rule fired
 * (MISSING stays MISSING). Failures go to fail[0..fail_cap) in interval
 * order per rule; beyond the capacity they are only counted. Borrows all
 * inputs; out must not alias in->iv. AMI_E_INVAL on bad arguments. */
int ami_mdm_vee_validate(const ami_mdm_vee_params *p,
                         const ami_mdm_vee_input *in, ami_mdm_interval *out,
                         ami_mdm_vee_failure *fail, size_t fail_cap,
                         ami_mdm_vee_summary *sum);

/* ---------------------------------------------------------------------- */
/* Estimation */

/* Methods that may be used (bit set); the default is all. */
enum {
  AMI_MDM_EST_LINEAR = 1u << 0,
  AMI_MDM_EST_AVG_LIKE_DAY = 1u << 1,
  AMI_MDM_EST_PRIOR_PERIOD = 1u << 2,
  AMI_MDM_EST_PROFILE = 1u << 3,
  AMI_MDM_EST_SCALE = 1u << 4, /* scale estimates to register reads */
  AMI_MDM_EST_ZERO = 1u << 5,  /* zero while the supply is disconnected */
  AMI_MDM_EST_ALL = 0x3f
};

/* Day types for like days: ami_mdm_day_type (ami_mdm.h). */

/* Estimation parameters (defaults by ami_mdm_est_params_default):
 *   methods        AMI_MDM_EST_ALL
 *   max_linear_s   7200   gaps up to 2 h are interpolated, longer are not
 *                         (beyond ~2 h the load shape matters more than
 *                         the end points: see docs/mdm-vee.md)
 *   like_days      3      average of the three nearest like days
 *   search_days    28     how far (both ways) like days are looked for
 *   holidays       NULL   sorted local day numbers that count as holidays
 *   profile        NULL   class load profile: one weight per interval of
 *                         the local day by wall-clock slot (profile_n =
 *                         86400 / interval_s); any scale, it is fitted to
 *                         the meter's own good data */
typedef struct ami_mdm_est_params {
  uint32_t methods;
  uint32_t max_linear_s;
  uint32_t like_days;
  uint32_t search_days;
  const int64_t *holidays;
  size_t n_holidays;
  const uint32_t *profile;
  size_t profile_n;
} ami_mdm_est_params;

void ami_mdm_est_params_default(ami_mdm_est_params *p);

typedef struct ami_mdm_est_summary {
  uint32_t to_estimate; /* MISSING or VALIDATION_FAILED intervals seen */
  uint32_t estimated;
  uint32_t unestimated; /* no method applied: left as they were */
  uint32_t zero, linear, avg_like_day, prior_period, profile, scaled;
} ami_mdm_est_summary;

/* Local day type of local day `day`: HOLIDAY if listed, WEEKEND on
 * Saturday/Sunday, else WEEKDAY. */
ami_mdm_day_type ami_mdm_est_day_type(const ami_mdm_est_params *p, int64_t day);

/* Fills the MISSING and VALIDATION_FAILED intervals of `validated` (the
 * output of ami_mdm_vee_validate for `in`, final units) into out[0..n).
 * Other intervals are copied unchanged. Order of methods per interval:
 *  0. zero (19): the interval is flagged DISCONNECTED (supply off by
 *     design, ami_mdm_vee_validate sets the flag from events);
 *  1. linear (17): gap runs of at most max_linear_s between two good
 *     intervals, neither flagged POWER_OUTAGE: value k of a run of L
 *     between anchors a and b is a + (b - a) * k / (L + 1), k = 1..L;
 *  2. average like day (15): mean of the same wall-clock slot on the
 *     like_days nearest days of the same day type within search_days
 *     (earlier days first at equal distance) that have a good value there;
 *  3. prior period (14): the same slot on the nearest EARLIER day of any
 *     type with a good value (within search_days);
 *  4. profile (57): profile weight of the slot x (sum of the meter's good
 *     values / sum of the profile weights at those slots);
 *  5. scaling (24): for consecutive register reads (within 60 s of an
 *     interval boundary) bracketing estimates,
 *     the estimates in between are scaled so that actual + estimated
 *     equals the register advance (x multiplier) exactly, when that
 *     residual is >= 0 and the estimates sum to > 0.
 * "Good" means quality ACTUAL, SUBSTITUTED or EDITED (never an estimate).
 * Estimates get quality ESTIMATED and the method; flags are kept.
 * Borrows everything; out must not alias validated. */
int ami_mdm_vee_estimate(const ami_mdm_est_params *p,
                         const ami_mdm_vee_input *in,
                         const ami_mdm_interval *validated,
                         ami_mdm_interval *out, ami_mdm_est_summary *sum);

/* Short English name of a rule ("spike"), or "?" */
const char *ami_mdm_rule_name(int rule);

#ifdef __cplusplus
}
#endif
#endif /* AMI_MDM_VEE_H */
