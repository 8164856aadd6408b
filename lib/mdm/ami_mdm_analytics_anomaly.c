/*
 * ami_mdm_analytics_anomaly.c -- theft and meter-fault anomaly scores, the
 * supply state from events, and outage detection per meter and per feeder
 * (ami_mdm_analytics.h). Score definitions: docs/mdm-analytics.md.
 *
 * CUSUM: E. S. Page, "Continuous Inspection Schemes", Biometrika 41 (1954),
 * the one-sided form for a downward shift; robust sigma 1.4826 x MAD (the
 * normal-consistent median absolute deviation).
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_analytics.h"
#include "mdm_analytics_int.h"
#include "mdm_vee_int.h"

void ami_mdm_anomaly_params_default(ami_mdm_anomaly_params *p) {
  p->recent_days = 28;
  p->baseline_days = 56;
  p->drop_low_milli = 150;
  p->drop_high_milli = 600;
  p->cusum_k_milli = 500;
  p->cusum_h_milli = 5000;
  p->zero_min_s = 7200;
  p->zero_full_s = 86400;
  p->creep = 10000;
  p->reverse_full_milli = 50;
  p->tamper_window_s = 7 * 86400;
  p->tamper_base_milli = 300;
}

/* Linear ramp of x from lo (0) to hi (1000), clamped; x1000. */
static uint16_t ramp(double x, double lo, double hi) {
  if (x <= lo)
    return 0;
  if (x >= hi || hi <= lo)
    return 1000;
  return (uint16_t)(1000.0 * (x - lo) / (hi - lo) + 0.5);
}

static bool sorted_events(const ami_mdm_event *ev, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (ev[i].t < ev[i - 1].t)
      return false;
  return true;
}

static bool is_disconnect(uint16_t c) {
  return c == MDM_EV_MANUAL_DISCONNECT || c == MDM_EV_REMOTE_DISCONNECT ||
         c == MDM_EV_LOCAL_DISCONNECT;
}

static bool is_connect(uint16_t c) {
  return c == MDM_EV_MANUAL_CONNECT || c == MDM_EV_REMOTE_CONNECT ||
         c == MDM_EV_LOCAL_CONNECT;
}

/* Marks OFF every interval of the grid that overlaps [a, b). */
static void mark_off(int64_t t0, uint32_t interval_s, uint8_t *supply, size_t n,
                     int64_t a, int64_t b) {
  int64_t I = (int64_t)interval_s;
  for (size_t i = 0; i < n; i++) {
    int64_t end = t0 + (int64_t)i * I, start = end - I;
    if (start < b && end > a)
      supply[i] = AMI_MDM_SUPPLY_OFF;
  }
}

int ami_mdm_supply_from_events(const ami_mdm_event *ev, size_t n_ev, int64_t t0,
                               uint32_t interval_s, uint8_t *supply, size_t n) {
  if ((ev == NULL && n_ev > 0) || (supply == NULL && n > 0) ||
      interval_s == 0 || !sorted_events(ev, n_ev))
    return AMI_E_INVAL;
  memset(supply, AMI_MDM_SUPPLY_ON, n);
  int64_t far = t0 + (int64_t)n * (int64_t)interval_s;
  int64_t down = INT64_MIN, disc = INT64_MIN;
  for (size_t i = 0; i < n_ev; i++) {
    uint16_t c = ev[i].code;
    if (c == MDM_EV_POWER_DOWN && down == INT64_MIN)
      down = ev[i].t;
    else if (c == MDM_EV_POWER_UP && down != INT64_MIN) {
      mark_off(t0, interval_s, supply, n, down, ev[i].t);
      down = INT64_MIN;
    } else if (is_disconnect(c) && disc == INT64_MIN)
      disc = ev[i].t;
    else if (is_connect(c) && disc != INT64_MIN) {
      mark_off(t0, interval_s, supply, n, disc, ev[i].t);
      disc = INT64_MIN;
    }
  }
  if (down != INT64_MIN)
    mark_off(t0, interval_s, supply, n, down, far);
  if (disc != INT64_MIN)
    mark_off(t0, interval_s, supply, n, disc, far);
  return AMI_OK;
}

/* Median of the complete days among tot[a..b) (indices clamped); count of
 * complete days in *k. tmp has room for b - a values. */
static int64_t window_median(const int64_t *tot, const bool *ok, int64_t a,
                             int64_t b, size_t n_days, int64_t *tmp,
                             size_t *k) {
  *k = 0;
  for (int64_t d = a < 0 ? 0 : a; d < b && d < (int64_t)n_days; d++)
    if (ok[d])
      tmp[(*k)++] = tot[d];
  return ami__an_median(tmp, *k);
}

/* The drop score: recent vs baseline median daily totals, and a one-sided
 * CUSUM of the recent days' shortfall against the baseline. */
static void score_drop(const ami_mdm_anomaly_params *p,
                       const ami_mdm_anomaly_input *in, const int64_t *tot,
                       const bool *ok, size_t n_days, int64_t first_day,
                       int64_t *tmp, ami_mdm_anomaly *o) {
  int64_t R = (int64_t)p->recent_days, B = (int64_t)p->baseline_days;
  int64_t end = (int64_t)n_days; /* days [end - R, end) are recent */
  size_t kr, kb;
  o->recent_median = window_median(tot, ok, end - R, end, n_days, tmp, &kr);
  o->baseline_median =
      window_median(tot, ok, end - R - B, end - R, n_days, tmp, &kb);
  if (kr < (size_t)(R / 2) || kb < (size_t)(B / 2) || R == 0 || B == 0 ||
      o->baseline_median <= 0) {
    o->flags |= AMI_MDM_ANOM_NO_HISTORY;
    return;
  }
  double peer =
      in->peer_ratio_milli ? (double)in->peer_ratio_milli / 1000.0 : 1.0;
  double mu = (double)o->baseline_median * peer;
  double ratio = (double)o->recent_median / mu;
  o->ratio_milli = (uint32_t)(ratio * 1000.0 + 0.5);
  /* robust sigma of the baseline: 1.4826 x MAD, floored at 5 % of mu */
  size_t k = 0;
  for (int64_t d = end - R - B < 0 ? 0 : end - R - B; d < end - R; d++)
    if (ok[d]) {
      int64_t dev = tot[d] - o->baseline_median;
      tmp[k++] = dev < 0 ? -dev : dev;
    }
  double sigma = 1.4826 * (double)ami__an_median(tmp, k) * peer;
  if (sigma < 0.05 * mu)
    sigma = 0.05 * mu;
  double S = 0, kk = (double)p->cusum_k_milli / 1000.0;
  double h = (double)p->cusum_h_milli / 1000.0, smax = 0;
  int64_t run_start = -1;
  o->change_day = -1;
  for (int64_t d = end - R < 0 ? 0 : end - R; d < end; d++) {
    if (!ok[d])
      continue;
    double next = S + (mu - (double)tot[d]) / sigma - kk;
    if (next <= 0) {
      S = 0;
      run_start = -1;
      continue;
    }
    if (S == 0)
      run_start = d;
    S = next;
    if (S > smax)
      smax = S;
    if (S >= h && o->change_day < 0) {
      o->flags |= AMI_MDM_ANOM_CUSUM;
      o->change_day = first_day + run_start;
    }
  }
  o->cusum_max_milli = (uint32_t)(smax * 1000.0 + 0.5);
  double drop = 1.0 - ratio;
  uint16_t s = ramp(drop * 1000.0, p->drop_low_milli, p->drop_high_milli);
  o->score_drop = (o->flags & AMI_MDM_ANOM_CUSUM) ? s : (uint16_t)(s / 2);
}

/* Longest run of zero consumption while the supply is ON. */
static void score_zero(const ami_mdm_anomaly_params *p,
                       const ami_mdm_anomaly_input *in, ami_mdm_anomaly *o) {
  if (in->supply == NULL) {
    o->flags |= AMI_MDM_ANOM_NO_SUPPLY;
    return;
  }
  const ami_mdm_series *s = &in->import;
  size_t run = 0, best = 0, best_at = 0;
  for (size_t i = 0; i < s->n; i++) {
    bool z = ami_mdm_usable(&s->iv[i]) && s->iv[i].value == 0 &&
             in->supply[i] == AMI_MDM_SUPPLY_ON;
    run = z ? run + 1 : 0;
    if (run > best) {
      best = run;
      best_at = i + 1 - run;
    }
  }
  o->zero_run_s = (uint32_t)(best * s->interval_s);
  o->zero_run_t = best ? s->t0 + (int64_t)best_at * (int64_t)s->interval_s : 0;
  o->score_zero = ramp(o->zero_run_s, p->zero_min_s, p->zero_full_s);
}

/* Reverse energy: the export channel plus negative import values. */
static void score_reverse(const ami_mdm_anomaly_params *p,
                          const ami_mdm_anomaly_input *in, ami_mdm_anomaly *o) {
  const ami_mdm_series *s = &in->import, *x = &in->exported;
  int64_t import_sum = 0, I = (int64_t)s->interval_s;
  for (size_t i = 0; i < s->n; i++) {
    int64_t t = s->t0 + (int64_t)i * I, rev = 0;
    if (ami_mdm_usable(&s->iv[i])) {
      if (s->iv[i].value < 0)
        rev -= s->iv[i].value;
      else
        import_sum += s->iv[i].value;
    }
    if (x->iv != NULL && x->interval_s == s->interval_s &&
        (t - x->t0) % I == 0 && t >= x->t0) {
      int64_t j = (t - x->t0) / I;
      if (j < (int64_t)x->n && ami_mdm_usable(&x->iv[j]) && x->iv[j].value > 0)
        rev += x->iv[j].value;
    }
    if (rev > p->creep) {
      if (o->reverse_n == 0)
        o->reverse_first_t = t;
      o->reverse_n++;
      o->reverse_sum += rev;
    }
  }
  if (in->net_metered || in->has_generation || o->reverse_n == 0)
    return;
  double f = (double)o->reverse_sum / (double)(o->reverse_sum + import_sum);
  o->score_reverse = ramp(f * 1000.0, 0, p->reverse_full_milli);
}

static bool is_tamper(uint16_t c) {
  return c >= MDM_EV_TERMINAL_COVER_OPENED && c <= 45; /* 40..45 */
}

/* Mean of the complete daily totals of days [a, b) (clamped). */
static bool window_mean(const int64_t *tot, const bool *ok, size_t n_days,
                        int64_t a, int64_t b, double *mean) {
  double s = 0;
  size_t k = 0;
  for (int64_t d = a < 0 ? 0 : a; d < b && d < (int64_t)n_days; d++)
    if (ok[d]) {
      s += (double)tot[d];
      k++;
    }
  if (k == 0)
    return false;
  *mean = s / (double)k;
  return true;
}

/* Tamper events near a drop: for each event, the mean daily total of the
 * days after it (within tamper_window_s) against the 14 days before. */
static void score_tamper(const ami_mdm_anomaly_params *p,
                         const ami_mdm_anomaly_input *in, const int64_t *tot,
                         const bool *ok, size_t n_days, int64_t first_day,
                         ami_mdm_anomaly *o) {
  const ami_mdm_series *s = &in->import;
  int64_t t_lo = ami__an_start(s, 0),
          t_hi = s->t0 + (int64_t)s->n * (int64_t)s->interval_s;
  int64_t win = (int64_t)(p->tamper_window_s / 86400u);
  if (win < 1)
    win = 1;
  for (size_t i = 0; i < in->n_events; i++) {
    const ami_mdm_event *e = &in->events[i];
    if (!is_tamper(e->code) || e->t < t_lo || e->t >= t_hi)
      continue;
    o->tamper_n++;
    int64_t d = ami_mdm_tz_local_day(in->tz, e->t) - first_day;
    double before, after, ratio = 1.0;
    uint16_t sc = (uint16_t)p->tamper_base_milli;
    if (window_mean(tot, ok, n_days, d - 14, d, &before) &&
        window_mean(tot, ok, n_days, d + 1, d + 1 + win, &after) &&
        before > 0) {
      ratio = after / before;
      uint16_t r = ramp((1.0 - ratio) * 1000.0, 100, 500);
      sc = (uint16_t)(p->tamper_base_milli +
                      (1000u - p->tamper_base_milli) * r / 1000u);
    }
    if (sc > o->score_tamper || o->tamper_t == 0) {
      o->score_tamper = sc;
      o->tamper_t = e->t;
      o->tamper_code = e->code;
      o->tamper_ratio_milli = (uint32_t)(ratio * 1000.0 + 0.5);
    }
  }
}

int ami_mdm_anomaly_score(const ami_mdm_anomaly_params *p,
                          const ami_mdm_anomaly_input *in, ami_mdm_anomaly *out,
                          const ami_allocator *a) {
  if (p == NULL || in == NULL || out == NULL ||
      !ami__an_series_ok(&in->import) || in->import.n == 0 ||
      (in->events == NULL && in->n_events > 0) ||
      !sorted_events(in->events, in->n_events))
    return AMI_E_INVAL;
  memset(out, 0, sizeof *out);
  out->change_day = -1;
  const ami_mdm_series *s = &in->import;
  int64_t d0 = ami_mdm_tz_local_day(in->tz, ami__an_start(s, 0));
  int64_t d1 = ami_mdm_tz_local_day(in->tz, ami__an_start(s, s->n - 1));
  /* the last day counts only when complete: daily totals mark it */
  size_t n_days = (size_t)(d1 - d0 + 1);
  int64_t *tot = ami_malloc(a, 2 * n_days * sizeof(int64_t));
  bool *ok = ami_malloc(a, n_days * sizeof(bool));
  if (tot == NULL || ok == NULL) {
    ami_free(a, tot);
    ami_free(a, ok);
    return AMI_E_NOMEM;
  }
  ami__an_daily_totals(s, in->tz, d0, n_days, tot, ok);
  score_drop(p, in, tot, ok, n_days, d0, tot + n_days, out);
  score_zero(p, in, out);
  score_reverse(p, in, out);
  score_tamper(p, in, tot, ok, n_days, d0, out);
  ami_free(a, tot);
  ami_free(a, ok);
  uint16_t m = out->score_drop;
  if (out->score_zero > m)
    m = out->score_zero;
  if (out->score_reverse > m)
    m = out->score_reverse;
  if (out->score_tamper > m)
    m = out->score_tamper;
  out->score_max = m;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Outages */

void ami_mdm_outage_params_default(ami_mdm_outage_params *p) {
  p->missing_min_s = 3600;
  p->window_s = 300;
  p->min_meters = 3;
}

/* No reading to show the supply was on: missing, failed or flagged as an
 * outage by the meter. */
static bool absent(const ami_mdm_interval *v) {
  return !ami_mdm_usable(v) || (v->flags & AMI_MDM_F_POWER_OUTAGE) != 0;
}

/* Start of the run of absent intervals that contains or ends at instant t
 * (a POWER_UP): false when the interval before t has a reading. */
static bool run_start_before(const ami_mdm_series *s, int64_t t,
                             int64_t *start) {
  if (s == NULL || s->n == 0)
    return false;
  int64_t I = (int64_t)s->interval_s;
  int64_t k = ami__an_floor_div(t - s->t0, I) + 1; /* interval holding t */
  if (k < 0 || k >= (int64_t)s->n || !absent(&s->iv[k]))
    k--; /* else the interval that ends at or before t */
  if (k < 0 || k >= (int64_t)s->n || !absent(&s->iv[k]))
    return false;
  while (k > 0 && absent(&s->iv[k - 1]))
    k--;
  *start = ami__an_start(s, (size_t)k);
  return true;
}

/* First instant after t at which a reading shows the supply back: the
 * START of the first present, unflagged interval starting at or after t. */
static bool back_after(const ami_mdm_series *s, int64_t t, int64_t *end) {
  if (s == NULL)
    return false;
  for (size_t i = 0; i < s->n; i++)
    if (ami__an_start(s, i) >= t && !absent(&s->iv[i])) {
      *end = ami__an_start(s, i);
      return true;
    }
  return false;
}

/* Whether power events explain the run [a, b) of s: a POWER_DOWN/UP
 * within one interval of the run, or a last gasp before it that no
 * POWER_UP and no reading closed before the run began. */
static bool covered_by_events(const ami_mdm_event *ev, size_t n,
                              const ami_mdm_series *s, int64_t a, int64_t b) {
  int64_t I = (int64_t)s->interval_s, down = 0, back;
  bool open = false;
  for (size_t i = 0; i < n; i++) {
    uint16_t c = ev[i].code;
    if (c != MDM_EV_POWER_DOWN && c != MDM_EV_POWER_UP)
      continue;
    if (ev[i].t >= a - I && ev[i].t <= b + I)
      return true;
    if (ev[i].t < a) {
      open = c == MDM_EV_POWER_DOWN;
      down = ev[i].t;
    }
  }
  return open && !(back_after(s, down, &back) && back < a);
}

static void emit(ami_mdm_outage *out, size_t cap, size_t *count, uint64_t id,
                 int64_t a, int64_t b, uint16_t flags) {
  if (*count < cap) {
    out[*count].meter_id = id;
    out[*count].start = a;
    out[*count].end = b;
    out[*count].flags = flags;
  }
  (*count)++;
}

/* Event pass of ami_mdm_outages_meter: DOWN..UP pairs, lone UPs and a
 * trailing DOWN. */
static void outages_from_events(uint64_t id, const ami_mdm_event *ev,
                                size_t n_ev, const ami_mdm_series *s,
                                int64_t obs_end, ami_mdm_outage *out,
                                size_t cap, size_t *count) {
  bool open = false;
  int64_t start = 0, t;
  for (size_t i = 0; i < n_ev; i++) {
    if (ev[i].code == MDM_EV_POWER_DOWN && !open) {
      open = true;
      start = ev[i].t;
    } else if (ev[i].code == MDM_EV_POWER_UP) {
      if (open)
        emit(out, cap, count, id, start, ev[i].t, AMI_MDM_OUT_EVENTS);
      else if (run_start_before(s, ev[i].t, &t))
        emit(out, cap, count, id, t, ev[i].t,
             AMI_MDM_OUT_EVENTS | AMI_MDM_OUT_MISSING);
      else
        emit(out, cap, count, id, ev[i].t, ev[i].t,
             AMI_MDM_OUT_EVENTS | AMI_MDM_OUT_START_UNKNOWN);
      open = false;
    }
  }
  if (!open)
    return;
  if (back_after(s, start, &t))
    emit(out, cap, count, id, start, t,
         AMI_MDM_OUT_EVENTS | AMI_MDM_OUT_MISSING);
  else
    emit(out, cap, count, id, start, obs_end < start ? start : obs_end,
         AMI_MDM_OUT_EVENTS | AMI_MDM_OUT_END_UNKNOWN);
}

static int cmp_outage(const void *a, const void *b) {
  const ami_mdm_outage *x = a, *y = b;
  if (x->start != y->start)
    return (x->start > y->start) - (x->start < y->start);
  return (x->meter_id > y->meter_id) - (x->meter_id < y->meter_id);
}

size_t ami_mdm_outages_meter(const ami_mdm_outage_params *p, uint64_t meter_id,
                             const ami_mdm_event *ev, size_t n_ev,
                             const ami_mdm_series *s, ami_mdm_outage *out,
                             size_t cap, int *err) {
  int dummy;
  if (err == NULL)
    err = &dummy;
  *err = AMI_E_INVAL;
  if (p == NULL || (ev == NULL && n_ev > 0) || (out == NULL && cap > 0) ||
      (s != NULL && !ami__an_series_ok(s)) || !sorted_events(ev, n_ev))
    return 0;
  *err = AMI_OK;
  int64_t obs_end = n_ev ? ev[n_ev - 1].t : INT64_MIN;
  if (s != NULL && s->n > 0) {
    int64_t e = s->t0 + (int64_t)(s->n - 1) * (int64_t)s->interval_s;
    if (e > obs_end)
      obs_end = e;
  }
  size_t count = 0;
  outages_from_events(meter_id, ev, n_ev, s, obs_end, out, cap, &count);
  if (s != NULL) { /* runs of missing reads no event explains */
    for (size_t i = 0; i < s->n;) {
      if (!absent(&s->iv[i])) {
        i++;
        continue;
      }
      size_t j = i;
      while (j < s->n && absent(&s->iv[j]))
        j++;
      int64_t a = ami__an_start(s, i), b = ami__an_start(s, j);
      if (b - a >= (int64_t)p->missing_min_s &&
          !covered_by_events(ev, n_ev, s, a, b))
        emit(out, cap, &count, meter_id, a, b,
             (uint16_t)(AMI_MDM_OUT_MISSING |
                        (j == s->n ? AMI_MDM_OUT_END_UNKNOWN : 0)));
      i = j;
    }
  }
  qsort(out, count < cap ? count : cap, sizeof *out, cmp_outage);
  return count;
}

size_t ami_mdm_outages_aggregate(const ami_mdm_outage_params *p,
                                 ami_mdm_outage *per_meter, size_t n,
                                 ami_mdm_feeder_outage *out, size_t cap) {
  if (p == NULL || (per_meter == NULL && n > 0) || (out == NULL && cap > 0))
    return 0;
  qsort(per_meter, n, sizeof *per_meter, cmp_outage);
  size_t count = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n &&
           per_meter[j].start - per_meter[i].start <= (int64_t)p->window_s)
      j++;
    uint32_t distinct = 0;
    ami_mdm_feeder_outage f = {
        per_meter[i].start, per_meter[i].end, 0, 0, 0, 0};
    for (size_t k = i; k < j; k++) {
      bool seen = false;
      for (size_t m = i; m < k && !seen; m++)
        seen = per_meter[m].meter_id == per_meter[k].meter_id;
      distinct += seen ? 0u : 1u;
      if (per_meter[k].end > f.end)
        f.end = per_meter[k].end;
      f.meter_seconds += per_meter[k].end - per_meter[k].start;
      f.flags |= per_meter[k].flags;
    }
    if (distinct < p->min_meters || distinct == 0) {
      i++; /* no feeder event starts here: slide the window */
      continue;
    }
    f.meters = distinct;
    f.duration_s = f.end - f.start;
    if (count < cap)
      out[count] = f;
    count++;
    i = j;
  }
  return count;
}
