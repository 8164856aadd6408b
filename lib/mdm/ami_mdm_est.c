/*
 * ami_mdm_est.c -- VEE estimation (ami_mdm_vee.h): zero while disconnected,
 * linear interpolation of short gaps, average of like days, prior period,
 * class load profile, and scaling of estimates to register reads. Every
 * estimate carries its AEMO method flag (MDFF NEM12 method flags).
 */
#include <math.h>
#include <string.h>

#include "ami/ami_caltime.h"
#include "ami/ami_err.h"
#include "ami/ami_mdm_vee.h"
#include "mdm_vee_int.h"

/* Register reads this close to an interval boundary count as taken at it
 * (meters stamp reads a few seconds after the boundary). */
#define READ_TOLERANCE_S 60

void ami_mdm_est_params_default(ami_mdm_est_params *p) {
  memset(p, 0, sizeof *p);
  p->methods = AMI_MDM_EST_ALL;
  p->max_linear_s = 7200;
  p->like_days = 3;
  p->search_days = 28;
}

ami_mdm_day_type ami_mdm_est_day_type(const ami_mdm_est_params *p,
                                      int64_t day) {
  if (p && p->holidays) {
    size_t lo = 0, hi = p->n_holidays;
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      if (p->holidays[mid] < day)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo < p->n_holidays && p->holidays[lo] == day)
      return AMI_MDM_DAY_HOLIDAY;
  }
  return ami_weekday_from_days(day) >= 6 ? AMI_MDM_DAY_WEEKEND
                                         : AMI_MDM_DAY_WEEKDAY;
}

typedef struct ectx {
  const ami_mdm_est_params *p;
  const ami_mdm_vee_input *in;
  const ami_mdm_interval *val;
  ami_mdm_interval *out;
  ami_mdm_est_summary *sum;
  int64_t I;
} ectx;

static bool needs_estimate(const ami_mdm_interval *v) {
  return v->quality == AMI_MDM_Q_MISSING ||
         v->quality == AMI_MDM_Q_VALIDATION_FAILED;
}

/* The interval ending at t: from the series being estimated (its
 * validated input, never our own estimates), else from history; NULL
 * when neither has it. */
static const ami_mdm_interval *interval_at(const ectx *c, int64_t t) {
  const ami_mdm_vee_input *in = c->in;
  int64_t d = t - in->t0;
  if (d % c->I == 0 && d >= 0 && d / c->I < (int64_t)in->n)
    return &c->val[d / c->I];
  d = t - in->history_t0;
  if (in->history && d % c->I == 0 && d >= 0 &&
      d / c->I < (int64_t)in->history_n)
    return &in->history[d / c->I];
  return NULL;
}

/* A good value ending at t. */
static bool good_at(const ectx *c, int64_t t, int64_t *v) {
  const ami_mdm_interval *x = interval_at(c, t);
  if (!x || !ami__vee_good(x))
    return false;
  *v = x->value;
  return true;
}

/* An interpolation anchor: good and not in a power outage (an outage
 * interval's low value says nothing about consumption around it). */
static bool anchor_at(const ectx *c, int64_t t, int64_t *v) {
  const ami_mdm_interval *x = interval_at(c, t);
  if (!x || !ami__vee_good(x) || (x->flags & AMI_MDM_F_POWER_OUTAGE))
    return false;
  *v = x->value;
  return true;
}

/* Round-half-away division of num by den (den > 0). */
static int64_t div_round(int64_t num, int64_t den) {
  return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

static void put(ectx *c, size_t i, int64_t v, uint8_t method,
                uint32_t *counter) {
  c->out[i].value = v;
  c->out[i].quality = AMI_MDM_Q_ESTIMATED;
  c->out[i].method = method;
  c->sum->estimated++;
  (*counter)++;
}

/* The instant that ends the interval at the same wall-clock slot as the
 * interval ending at t, on local day `day`; false when that wall time does
 * not exist that day (the hour skipped in spring). */
static bool same_slot(const ectx *c, int64_t t, int64_t day, int64_t *out) {
  const ami_mdm_tz *tz = c->in->tz;
  int64_t s = t - c->I;
  int64_t local = s + ami_mdm_tz_offset(tz, s);
  int64_t wall = local - ami_mdm_tz_local_day(tz, s) * 86400;
  int64_t want = day * 86400 + wall;
  int64_t s2 = ami_mdm_tz_to_utc(tz, want);
  if (s2 + ami_mdm_tz_offset(tz, s2) != want)
    return false;
  *out = s2 + c->I;
  return true;
}

/* Step 1: linear interpolation over runs no longer than max_linear_s whose
 * anchors are good and not in an outage. */
static void linear(ectx *c) {
  size_t n = c->in->n, i = 0;
  while (i < n) {
    if (!needs_estimate(&c->val[i]) ||
        c->out[i].quality == AMI_MDM_Q_ESTIMATED) {
      i++;
      continue;
    }
    size_t j = i;
    while (j < n && needs_estimate(&c->val[j]) &&
           c->out[j].quality != AMI_MDM_Q_ESTIMATED)
      j++;
    int64_t L = (int64_t)(j - i), a = 0, b = 0;
    int64_t ta = c->in->t0 + ((int64_t)i - 1) * c->I; /* left anchor end */
    int64_t tb = c->in->t0 + (int64_t)j * c->I;       /* right anchor end */
    bool ok = L * c->I <= (int64_t)c->p->max_linear_s && anchor_at(c, ta, &a) &&
              anchor_at(c, tb, &b);
    if (ok)
      for (int64_t k = 1; k <= L; k++)
        put(c, i + (size_t)k - 1, a + div_round((b - a) * k, L + 1),
            AMI_MDM_M_LINEAR, &c->sum->linear);
    i = j;
  }
}

/* Step 2: mean of the slot on the like_days nearest same-type days. */
static bool avg_like_day(ectx *c, int64_t t, int64_t *v) {
  int64_t day = ami_mdm_tz_local_day(c->in->tz, t - c->I);
  ami_mdm_day_type type = ami_mdm_est_day_type(c->p, day);
  int64_t acc = 0;
  uint32_t found = 0;
  for (int64_t dist = 1;
       dist <= (int64_t)c->p->search_days && found < c->p->like_days; dist++) {
    for (int dir = -1; dir <= 1 && found < c->p->like_days; dir += 2) {
      int64_t d = day + dir * dist, t2, x;
      if (ami_mdm_est_day_type(c->p, d) != type || !same_slot(c, t, d, &t2))
        continue;
      if (good_at(c, t2, &x)) {
        acc += x;
        found++;
      }
    }
  }
  if (found == 0)
    return false;
  *v = div_round(acc, found);
  return true;
}

/* Step 3: the slot on the nearest earlier day of any type. */
static bool prior_period(ectx *c, int64_t t, int64_t *v) {
  int64_t day = ami_mdm_tz_local_day(c->in->tz, t - c->I), t2;
  for (int64_t d = 1; d <= (int64_t)c->p->search_days; d++)
    if (same_slot(c, t, day - d, &t2) && good_at(c, t2, v))
      return true;
  return false;
}

/* Wall-clock slot of the interval ending at t within its local day. */
static size_t slot_of(const ectx *c, int64_t t) {
  int64_t s = t - c->I;
  int64_t local = s + ami_mdm_tz_offset(c->in->tz, s);
  int64_t wall = local - ami_mdm_tz_local_day(c->in->tz, s) * 86400;
  return (size_t)(wall / c->I);
}

/* Step 4 set-up: the factor that fits the profile to this meter, as the
 * ratio of its good values to the profile weights at the same slots. */
static bool profile_fit(const ectx *c, double *scale) {
  const ami_mdm_est_params *p = c->p;
  if (!p->profile || p->profile_n != (size_t)(86400 / c->I))
    return false;
  double sv = 0, sw = 0;
  for (size_t i = 0; i < c->in->n; i++) {
    if (!ami__vee_good(&c->val[i]))
      continue;
    sv += (double)c->val[i].value;
    sw += p->profile[slot_of(c, c->in->t0 + (int64_t)i * c->I)];
  }
  if (sw <= 0)
    return false;
  *scale = sv / sw;
  return true;
}

/* Step 5: scale this run's estimates between consecutive register reads
 * so that actual + estimated equals the register advance exactly
 * (cumulative rounding hands out the remainder). */
static void scale_to_registers(ectx *c) {
  const ami_mdm_vee_input *in = c->in;
  int32_t m =
      in->channel->multiplier_milli ? in->channel->multiplier_milli : 1000;
  for (size_t k = 0; k + 1 < in->n_reads; k++) {
    const ami_mdm_register_read *ra = &in->reads[k], *rb = &in->reads[k + 1];
    int64_t ia, ib;
    if (!ami__vee_read_index(in, ra->t, READ_TOLERANCE_S, &ia) ||
        !ami__vee_read_index(in, rb->t, READ_TOLERANCE_S, &ib))
      continue;
    if (ib <= ia || ia < -1 || ib >= (int64_t)in->n)
      continue;
    int64_t actual = 0, est = 0;
    bool complete = true;
    for (int64_t i = ia + 1; i <= ib && complete; i++) {
      const ami_mdm_interval *o = &c->out[i];
      if (o->quality == AMI_MDM_Q_MISSING ||
          o->quality == AMI_MDM_Q_VALIDATION_FAILED)
        complete = false;
      else if (needs_estimate(&c->val[i]))
        est += o->value;
      else
        actual += o->value;
    }
    long double adv = (long double)(rb->value - ra->value) * m / 1000.0L;
    int64_t residual = (int64_t)llroundl(adv) - actual;
    if (!complete || est <= 0 || residual < 0)
      continue;
    int64_t cum = 0, prev = 0;
    for (int64_t i = ia + 1; i <= ib; i++) {
      if (!needs_estimate(&c->val[i]))
        continue;
      cum += c->out[i].value;
      int64_t target =
          (int64_t)llroundl((long double)cum * residual / (long double)est);
      c->out[i].value = target - prev;
      c->out[i].method = AMI_MDM_M_DATA_SCALING;
      prev = target;
      c->sum->scaled++;
    }
  }
}

int ami_mdm_vee_estimate(const ami_mdm_est_params *p,
                         const ami_mdm_vee_input *in,
                         const ami_mdm_interval *validated,
                         ami_mdm_interval *out, ami_mdm_est_summary *sum) {
  if (!p || !sum || ami__vee_interval(in) == 0 ||
      (in->n && (!validated || !out)) || (in->n_reads && !in->reads))
    return AMI_E_INVAL;
  memset(sum, 0, sizeof *sum);
  ectx c = {p, in, validated, out, sum, ami__vee_interval(in)};
  for (size_t i = 0; i < in->n; i++) {
    out[i] = validated[i];
    if (needs_estimate(&validated[i]))
      sum->to_estimate++;
  }
  if (p->methods & AMI_MDM_EST_ZERO)
    for (size_t i = 0; i < in->n; i++)
      if (needs_estimate(&validated[i]) &&
          (validated[i].flags & AMI_MDM_F_DISCONNECTED))
        put(&c, i, 0, AMI_MDM_M_ZERO, &sum->zero);
  if (p->methods & AMI_MDM_EST_LINEAR)
    linear(&c);
  double scale = 0;
  bool have_profile =
      (p->methods & AMI_MDM_EST_PROFILE) && profile_fit(&c, &scale);
  for (size_t i = 0; i < in->n; i++) {
    if (!needs_estimate(&validated[i]) || out[i].quality == AMI_MDM_Q_ESTIMATED)
      continue;
    int64_t t = in->t0 + (int64_t)i * c.I, v;
    if ((p->methods & AMI_MDM_EST_AVG_LIKE_DAY) && avg_like_day(&c, t, &v))
      put(&c, i, v, AMI_MDM_M_AVG_LIKE_DAY, &sum->avg_like_day);
    else if ((p->methods & AMI_MDM_EST_PRIOR_PERIOD) && prior_period(&c, t, &v))
      put(&c, i, v, AMI_MDM_M_LIKE_DAY, &sum->prior_period);
    else if (have_profile)
      put(&c, i, (int64_t)llround(p->profile[slot_of(&c, t)] * scale),
          AMI_MDM_M_CUSTOMER_CLASS, &sum->profile);
  }
  if (p->methods & AMI_MDM_EST_SCALE)
    scale_to_registers(&c);
  sum->unestimated = sum->to_estimate - sum->estimated;
  return AMI_OK;
}
