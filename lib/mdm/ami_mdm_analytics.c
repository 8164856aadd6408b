/*
 * ami_mdm_analytics.c -- aggregates per local day, week and month and per
 * group of meters, day-ahead forecasts and forecast error measures
 * (ami_mdm_analytics.h). Clustering is in ami_mdm_analytics_cluster.c,
 * anomalies and outages in ami_mdm_analytics_anomaly.c.
 */
#include "ami/ami_mdm_analytics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "mdm_analytics_int.h"

bool ami_mdm_usable(const ami_mdm_interval *v) {
  return v->quality != AMI_MDM_Q_MISSING &&
         v->quality != AMI_MDM_Q_VALIDATION_FAILED;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

int64_t ami__an_median(int64_t *v, size_t n) {
  if (n == 0)
    return 0;
  qsort(v, n, sizeof *v, cmp_i64);
  if (n % 2 == 1)
    return v[n / 2];
  return ami__an_floor_div(v[n / 2 - 1] + v[n / 2], 2);
}

/* Index of the interval of s that STARTS at instant t (may lie outside
 * [0, n)); the grid is assumed to contain t. */
static int64_t index_starting(const ami_mdm_series *s, int64_t t) {
  return ami__an_floor_div(t - s->t0, (int64_t)s->interval_s) + 1;
}

void ami__an_daily_totals(const ami_mdm_series *s, const ami_mdm_tz *tz,
                          int64_t first, size_t n_days, int64_t *tot,
                          bool *ok) {
  int64_t a = ami_mdm_tz_day_start(tz, first);
  for (size_t d = 0; d < n_days; d++) {
    int64_t b = ami_mdm_tz_day_start(tz, first + (int64_t)d + 1);
    int64_t i0 = index_starting(s, a), i1 = index_starting(s, b);
    int64_t sum = 0;
    bool all = i0 >= 0 && i1 <= (int64_t)s->n && i1 > i0;
    for (int64_t i = i0 < 0 ? 0 : i0; i < i1 && i < (int64_t)s->n; i++) {
      if (ami_mdm_usable(&s->iv[i]))
        sum += s->iv[i].value;
      else
        all = false;
    }
    tot[d] = sum;
    ok[d] = all;
    a = b;
  }
}

/* ---------------------------------------------------------------------- */
/* Aggregates */

/* First local day of the period containing local day d. */
static int64_t period_first(int64_t d, ami_mdm_period p) {
  int32_t y;
  unsigned m, dd;
  switch (p) {
  case AMI_MDM_PERIOD_WEEK:
    return d - (int64_t)(ami_weekday_from_days(d) - 1u);
  case AMI_MDM_PERIOD_MONTH:
    ami_civil_from_days(d, &y, &m, &dd);
    return ami_days_from_civil(y, m, 1);
  case AMI_MDM_PERIOD_DAY:
  default:
    return d;
  }
}

/* First local day of the period after the one starting on `first`. */
static int64_t period_next(int64_t first, ami_mdm_period p) {
  int32_t y;
  unsigned m, dd;
  switch (p) {
  case AMI_MDM_PERIOD_WEEK:
    return first + 7;
  case AMI_MDM_PERIOD_MONTH:
    ami_civil_from_days(first, &y, &m, &dd);
    return m == 12 ? ami_days_from_civil(y + 1, 1, 1)
                   : ami_days_from_civil(y, m + 1, 1);
  case AMI_MDM_PERIOD_DAY:
  default:
    return first + 1;
  }
}

/* Division rounded half away from zero (d > 0). */
static int64_t div_round(int64_t n, int64_t d) {
  return n >= 0 ? (n + d / 2) / d : -((-n + d / 2) / d);
}

static void agg_open(ami_mdm_agg *a, int64_t first, ami_mdm_period p,
                     const ami_mdm_tz *tz, uint32_t interval_s) {
  memset(a, 0, sizeof *a);
  a->first_day = first;
  a->start_t = ami_mdm_tz_day_start(tz, first);
  a->end_t = ami_mdm_tz_day_start(tz, period_next(first, p));
  a->expected = (uint32_t)((a->end_t - a->start_t) / (int64_t)interval_s);
}

static void agg_add(ami_mdm_agg *a, const ami_mdm_interval *v, int64_t end) {
  if (!ami_mdm_usable(v))
    return;
  if (a->present == 0 || v->value > a->peak) {
    a->peak = v->value;
    a->peak_t = end;
  }
  a->present++;
  a->sum += v->value;
  if (v->quality != AMI_MDM_Q_ACTUAL)
    a->estimated++;
}

static void agg_close(ami_mdm_agg *a) {
  if (a->present < a->expected)
    a->flags |= AMI_MDM_AGG_INCOMPLETE;
  if (a->estimated > 0)
    a->flags |= AMI_MDM_AGG_ESTIMATED;
  if (a->present == 0) {
    a->flags |= AMI_MDM_AGG_EMPTY;
    return;
  }
  a->mean = div_round(a->sum, (int64_t)a->present);
  if (a->peak > 0 && a->mean > 0)
    a->load_factor_milli = (uint32_t)(a->mean * 1000 / a->peak);
}

/* One pass over the series: a period closes when the local period of the
 * next interval's START differs (intervals are in time order, so periods
 * come in order too). */
size_t ami_mdm_aggregate(const ami_mdm_series *s, const ami_mdm_tz *tz,
                         ami_mdm_period period, ami_mdm_agg *out, size_t cap) {
  if (!ami__an_series_ok(s) || (out == NULL && cap > 0) ||
      period > AMI_MDM_PERIOD_MONTH)
    return 0;
  size_t count = 0;
  ami_mdm_agg cur;
  memset(&cur, 0, sizeof cur);
  bool open = false;
  for (size_t i = 0; i < s->n; i++) {
    int64_t ts = ami__an_start(s, i);
    int64_t key = period_first(ami_mdm_tz_local_day(tz, ts), period);
    if (!open || key != cur.first_day) {
      if (open) {
        agg_close(&cur);
        if (count < cap)
          out[count] = cur;
        count++;
      }
      agg_open(&cur, key, period, tz, s->interval_s);
      open = true;
    }
    agg_add(&cur, &s->iv[i], ts + (int64_t)s->interval_s);
  }
  if (open) {
    agg_close(&cur);
    if (count < cap)
      out[count] = cur;
    count++;
  }
  return count;
}

/* Value of member m at interval END t, if on its grid and usable. */
static bool member_at(const ami_mdm_series *m, int64_t t, int64_t *v) {
  int64_t d = t - m->t0;
  if (d < 0 || d % (int64_t)m->interval_s != 0)
    return false;
  int64_t i = d / (int64_t)m->interval_s;
  if (i >= (int64_t)m->n || !ami_mdm_usable(&m->iv[i]))
    return false;
  *v = m->iv[i].value;
  return true;
}

int ami_mdm_group_sum(const ami_mdm_series *members, size_t k,
                      ami_mdm_group_policy policy, int64_t t0,
                      uint32_t interval_s, ami_mdm_interval *out, size_t n,
                      uint32_t *present) {
  if ((members == NULL && k > 0) || (out == NULL && n > 0) || interval_s == 0 ||
      policy > AMI_MDM_GROUP_STRICT)
    return AMI_E_INVAL;
  for (size_t j = 0; j < k; j++)
    if (!ami__an_series_ok(&members[j]) ||
        members[j].interval_s != interval_s ||
        (t0 - members[j].t0) % (int64_t)interval_s != 0)
      return AMI_E_INVAL;
  for (size_t i = 0; i < n; i++) {
    int64_t t = t0 + (int64_t)i * (int64_t)interval_s, sum = 0, v;
    uint32_t got = 0;
    bool est = false;
    for (size_t j = 0; j < k; j++) {
      if (!member_at(&members[j], t, &v))
        continue;
      int64_t mi = (t - members[j].t0) / (int64_t)interval_s;
      est = est || members[j].iv[mi].quality != AMI_MDM_Q_ACTUAL;
      sum += v;
      got++;
    }
    ami_mdm_interval *o = &out[i];
    memset(o, 0, sizeof *o);
    if (present != NULL)
      present[i] = got;
    if (got == 0 || (policy == AMI_MDM_GROUP_STRICT && got < k)) {
      o->quality = AMI_MDM_Q_MISSING;
      continue;
    }
    if (policy == AMI_MDM_GROUP_SCALE && got < k)
      sum = div_round(sum * (int64_t)k, (int64_t)got);
    o->value = sum;
    o->quality = (got < k || est) ? AMI_MDM_Q_ESTIMATED : AMI_MDM_Q_ACTUAL;
  }
  return AMI_OK;
}

/* Sum of individual peaks over the peak of the sum: how much the members'
 * peaks fail to coincide (a feeder sized for the sum of peaks is
 * oversized by this factor). */
uint32_t ami_mdm_diversity_milli(const ami_mdm_series *members, size_t k,
                                 int64_t from, int64_t to) {
  if (members == NULL || k == 0 || !ami__an_series_ok(&members[0]))
    return 0;
  int64_t step = (int64_t)members[0].interval_s, sum_peaks = 0;
  int64_t group_peak = INT64_MIN;
  for (size_t j = 0; j < k; j++) {
    const ami_mdm_series *m = &members[j];
    int64_t peak = INT64_MIN, v;
    for (size_t i = 0; i < m->n; i++) {
      int64_t t = m->t0 + (int64_t)i * (int64_t)m->interval_s;
      if (t > from && t <= to && member_at(m, t, &v) && v > peak)
        peak = v;
    }
    if (peak != INT64_MIN)
      sum_peaks += peak;
  }
  const ami_mdm_series *g = &members[0];
  for (size_t i = 0; i < g->n; i++) {
    int64_t t = g->t0 + (int64_t)i * step, sum = 0, v;
    if (t <= from || t > to)
      continue;
    for (size_t j = 0; j < k; j++)
      if (member_at(&members[j], t, &v))
        sum += v;
    if (sum > group_peak)
      group_peak = sum;
  }
  if (group_peak <= 0 || sum_peaks <= 0)
    return 0;
  return (uint32_t)(sum_peaks * 1000 / group_peak);
}

/* ---------------------------------------------------------------------- */
/* Forecasts */

#define FC_MAX_DAYS 400 /* days of history one forecast may look at */

/* Wall-clock access to history: the value of local day d at wall slot q
 * (the interval starting at local d 00:00 + q x interval). Days whose
 * length is 86400 map slot q to base[d] + q directly; DST days go through
 * ami_mdm_tz_to_utc (the repeated hour maps to its first occurrence, the
 * skipped hour to the hour after it). Values at or after `limit` (the
 * forecast day's first interval) are never read. */
typedef struct fc_hist {
  const ami_mdm_series *s;
  const ami_mdm_tz *tz;
  int64_t first_day; /* day of base[0] */
  size_t n_days;
  int64_t limit;
  int64_t base[FC_MAX_DAYS];
  bool regular[FC_MAX_DAYS];
} fc_hist;

static void fc_hist_init(fc_hist *h, const ami_mdm_series *s,
                         const ami_mdm_tz *tz, int64_t day, size_t back) {
  if (back > FC_MAX_DAYS)
    back = FC_MAX_DAYS;
  h->s = s;
  h->tz = tz;
  h->first_day = day - (int64_t)back;
  h->n_days = back;
  h->limit = index_starting(s, ami_mdm_tz_day_start(tz, day));
  int64_t a = ami_mdm_tz_day_start(tz, h->first_day);
  for (size_t k = 0; k < back; k++) {
    int64_t b = ami_mdm_tz_day_start(tz, h->first_day + (int64_t)k + 1);
    h->base[k] = index_starting(s, a);
    h->regular[k] = b - a == 86400;
    a = b;
  }
}

static bool fc_get(const fc_hist *h, int64_t d, uint32_t q, int64_t *v) {
  if (d < h->first_day || d >= h->first_day + (int64_t)h->n_days)
    return false;
  size_t k = (size_t)(d - h->first_day);
  int64_t i;
  if (h->regular[k])
    i = h->base[k] + (int64_t)q;
  else
    i = index_starting(
        h->s,
        ami_mdm_tz_to_utc(h->tz, d * 86400 + (int64_t)q * h->s->interval_s));
  if (i < 0 || i >= (int64_t)h->s->n || i >= h->limit ||
      !ami_mdm_usable(&h->s->iv[i]))
    return false;
  *v = h->s->iv[i].value;
  return true;
}

static bool weekend(int64_t d) {
  return ami_weekday_from_days(d) >= 6;
}

/* Weighted mean of slot q over the days chosen by the method: d - 7j for
 * WEEKDAY_AVG, the last days of d's type for DAYTYPE_AVG. */
static bool fc_avg(const ami_mdm_fc_params *p, const fc_hist *h, int64_t day,
                   uint32_t q, double *out) {
  double w = 1.0, decay = (double)p->decay_milli / 1000.0, sw = 0, sv = 0;
  uint32_t used = 0;
  for (int64_t back = 1; back <= 35 && used < p->n_days; back++) {
    int64_t d = day - back;
    if (p->method == AMI_MDM_FC_WEEKDAY_AVG ? back % 7 != 0
                                            : weekend(d) != weekend(day))
      continue;
    int64_t v;
    if (fc_get(h, d, q, &v)) {
      sv += w * (double)v;
      sw += w;
    }
    used++; /* a missing day still counts as one of the n_days */
    w *= decay;
  }
  if (sw <= 0)
    return false;
  *out = sv / sw;
  return true;
}

#define NF 5 /* regression features */

/* Features of (d, q): 1, y(d-1), y(d-7), mean of y(d-1..d-7), weekend. */
static bool fc_features(const fc_hist *h, int64_t d, uint32_t q, double x[NF]) {
  int64_t v[8], sum = 0;
  for (int64_t k = 1; k <= 7; k++) {
    if (!fc_get(h, d - k, q, &v[k]))
      return false;
    sum += v[k];
  }
  x[0] = 1.0;
  x[1] = (double)v[1];
  x[2] = (double)v[7];
  x[3] = (double)sum / 7.0;
  x[4] = weekend(d) ? 1.0 : 0.0;
  return true;
}

/* Solves the NF x NF system a b = y in place by Gaussian elimination with
 * partial pivoting; false when (numerically) singular. */
static bool solve(double a[NF][NF], double y[NF], double b[NF]) {
  for (int c = 0; c < NF; c++) {
    int piv = c;
    for (int r = c + 1; r < NF; r++)
      if (fabs(a[r][c]) > fabs(a[piv][c]))
        piv = r;
    if (fabs(a[piv][c]) < 1e-12)
      return false;
    for (int j = 0; j < NF; j++) {
      double t = a[c][j];
      a[c][j] = a[piv][j];
      a[piv][j] = t;
    }
    double t = y[c];
    y[c] = y[piv];
    y[piv] = t;
    for (int r = c + 1; r < NF; r++) {
      double f = a[r][c] / a[c][c];
      for (int j = c; j < NF; j++)
        a[r][j] -= f * a[c][j];
      y[r] -= f * y[c];
    }
  }
  for (int c = NF - 1; c >= 0; c--) {
    double s = y[c];
    for (int j = c + 1; j < NF; j++)
      s -= a[c][j] * b[j];
    b[c] = s / a[c][c];
  }
  return true;
}

/* Ordinary least squares over every (day, slot) of the fit window with
 * complete features, via the normal equations with a tiny ridge on the
 * slopes (keeps constant series solvable). *nonneg: no negative target. */
static bool fc_fit(const ami_mdm_fc_params *p, const fc_hist *h, int64_t day,
                   uint32_t slots, double beta[NF], bool *nonneg) {
  double xtx[NF][NF], xty[NF], x[NF];
  memset(xtx, 0, sizeof xtx);
  memset(xty, 0, sizeof xty);
  size_t rows = 0;
  *nonneg = true;
  for (int64_t d = day - (int64_t)p->fit_days; d < day; d++)
    for (uint32_t q = 0; q < slots; q++) {
      int64_t yv;
      if (!fc_get(h, d, q, &yv) || !fc_features(h, d, q, x))
        continue;
      *nonneg = *nonneg && yv >= 0;
      for (int r = 0; r < NF; r++) {
        for (int c = 0; c < NF; c++)
          xtx[r][c] += x[r] * x[c];
        xty[r] += x[r] * (double)yv;
      }
      rows++;
    }
  if (rows < 2 * NF * 4)
    return false;
  double tr = 0;
  for (int r = 1; r < NF; r++)
    tr += xtx[r][r];
  for (int r = 1; r < NF; r++)
    xtx[r][r] += 1e-9 * tr + 1e-9;
  return solve(xtx, xty, beta);
}

void ami_mdm_fc_params_default(ami_mdm_fc_params *p, ami_mdm_fc_method m) {
  p->method = m;
  p->n_days = 4;
  p->decay_milli = 800;
  p->fit_days = 56;
}

const char *ami_mdm_fc_method_name(int m) {
  switch (m) {
  case AMI_MDM_FC_NAIVE_WEEK:
    return "seasonal naive (d-7)";
  case AMI_MDM_FC_NAIVE_DAY:
    return "persistence (d-1)";
  case AMI_MDM_FC_WEEKDAY_AVG:
    return "same-weekday weighted mean";
  case AMI_MDM_FC_DAYTYPE_AVG:
    return "day-type weighted mean";
  case AMI_MDM_FC_REGRESSION:
    return "lag regression";
  default:
    return "?";
  }
}

/* One forecast value for wall slot q of `day`. */
static bool fc_one(const ami_mdm_fc_params *p, const fc_hist *h, int64_t day,
                   uint32_t q, const double *beta, bool nonneg, int64_t *out) {
  int64_t v;
  double f, x[NF];
  switch (p->method) {
  case AMI_MDM_FC_NAIVE_WEEK:
  case AMI_MDM_FC_NAIVE_DAY:
    if (!fc_get(h, day - (p->method == AMI_MDM_FC_NAIVE_WEEK ? 7 : 1), q, &v))
      return false;
    *out = v;
    return true;
  case AMI_MDM_FC_REGRESSION:
    if (beta != NULL && fc_features(h, day, q, x)) {
      f = 0;
      for (int j = 0; j < NF; j++)
        f += beta[j] * x[j];
      if (nonneg && f < 0)
        f = 0;
      *out = (int64_t)llround(f);
      return true;
    }
    { /* no fit or features: fall back to the same-weekday mean */
      ami_mdm_fc_params w = *p;
      w.method = AMI_MDM_FC_WEEKDAY_AVG;
      return fc_one(&w, h, day, q, NULL, nonneg, out);
    }
  case AMI_MDM_FC_WEEKDAY_AVG:
  case AMI_MDM_FC_DAYTYPE_AVG:
  default:
    if (!fc_avg(p, h, day, q, &f))
      return false;
    *out = (int64_t)llround(f);
    return true;
  }
}

int ami_mdm_forecast_day(const ami_mdm_fc_params *p, const ami_mdm_series *hist,
                         const ami_mdm_tz *tz, int64_t day,
                         ami_mdm_interval *out, size_t cap, size_t *n_out) {
  if (p == NULL || !ami__an_series_ok(hist) || n_out == NULL ||
      (out == NULL && cap > 0) || p->method >= AMI_MDM_FC_COUNT ||
      p->fit_days > FC_MAX_DAYS - 43 || p->n_days == 0)
    return AMI_E_INVAL;
  int64_t I = (int64_t)hist->interval_s;
  int64_t s0 = ami_mdm_tz_day_start(tz, day);
  int64_t len = ami_mdm_tz_day_start(tz, day + 1) - s0;
  if ((s0 - hist->t0) % I != 0 || len % I != 0)
    return AMI_E_INVAL; /* local midnight is not on the grid */
  size_t n = (size_t)(len / I);
  *n_out = n;
  if (cap < n)
    return AMI_E_BUFFER_FULL;
  static const size_t back_for[AMI_MDM_FC_COUNT] = {7, 1, 35, 35, 0};
  size_t back = p->method == AMI_MDM_FC_REGRESSION ? p->fit_days + 8 + 35
                                                   : back_for[p->method];
  fc_hist h; /* ~6 KB on the stack, no allocation */
  fc_hist_init(&h, hist, tz, day, back);
  uint32_t slots = (uint32_t)(86400 / I);
  double beta[NF];
  bool nonneg = true, fitted = false;
  if (p->method == AMI_MDM_FC_REGRESSION)
    fitted = fc_fit(p, &h, day, slots, beta, &nonneg);
  for (size_t j = 0; j < n; j++) {
    int64_t t = s0 + (int64_t)j * I;
    int64_t wall = t + ami_mdm_tz_offset(tz, t) - day * 86400;
    uint32_t q = (uint32_t)(wall / I) % slots;
    memset(&out[j], 0, sizeof out[j]);
    if (fc_one(p, &h, day, q, fitted ? beta : NULL, nonneg, &out[j].value))
      out[j].quality = AMI_MDM_Q_ESTIMATED;
    else
      out[j].quality = AMI_MDM_Q_MISSING;
  }
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Forecast errors */

void ami_mdm_fc_err_init(ami_mdm_fc_err *e, int64_t floor) {
  memset(e, 0, sizeof *e);
  e->floor = floor;
}

void ami_mdm_fc_err_add(ami_mdm_fc_err *e, int64_t actual, int64_t forecast) {
  double a = (double)actual, err = (double)forecast - a;
  e->n++;
  e->sum_abs += fabs(err);
  e->sum_sq += err * err;
  e->sum_err += err;
  e->sum_actual_abs += fabs(a);
  int64_t mag = actual < 0 ? -actual : actual;
  if (mag == 0 || mag < e->floor) {
    e->n_skipped++;
    return;
  }
  e->n_mape++;
  e->sum_ape += fabs(err) / fabs(a);
}

size_t ami_mdm_fc_err_add_series(ami_mdm_fc_err *e,
                                 const ami_mdm_interval *actual,
                                 const ami_mdm_interval *forecast, size_t n) {
  size_t added = 0;
  for (size_t i = 0; i < n; i++)
    if (ami_mdm_usable(&actual[i]) && ami_mdm_usable(&forecast[i])) {
      ami_mdm_fc_err_add(e, actual[i].value, forecast[i].value);
      added++;
    }
  return added;
}

void ami_mdm_fc_err_merge(ami_mdm_fc_err *a, const ami_mdm_fc_err *b) {
  a->n += b->n;
  a->n_mape += b->n_mape;
  a->n_skipped += b->n_skipped;
  a->sum_abs += b->sum_abs;
  a->sum_sq += b->sum_sq;
  a->sum_err += b->sum_err;
  a->sum_actual_abs += b->sum_actual_abs;
  a->sum_ape += b->sum_ape;
}

double ami_mdm_fc_mape(const ami_mdm_fc_err *e) {
  return e->n_mape > 0 ? 100.0 * e->sum_ape / (double)e->n_mape : NAN;
}

double ami_mdm_fc_wape(const ami_mdm_fc_err *e) {
  return e->sum_actual_abs > 0 ? 100.0 * e->sum_abs / e->sum_actual_abs : NAN;
}

double ami_mdm_fc_mae(const ami_mdm_fc_err *e) {
  return e->n > 0 ? e->sum_abs / (double)e->n : NAN;
}

double ami_mdm_fc_rmse(const ami_mdm_fc_err *e) {
  return e->n > 0 ? sqrt(e->sum_sq / (double)e->n) : NAN;
}

double ami_mdm_fc_bias(const ami_mdm_fc_err *e) {
  return e->n > 0 ? e->sum_err / (double)e->n : NAN;
}
