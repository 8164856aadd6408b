/*
 * ami_mdm_vee.c -- VEE validation (ami_mdm_vee.h): placing readings on the
 * interval grid, per-local-day completeness, and the rule set (gaps,
 * duplicates, time tolerance, clock adjustments, high/low against history,
 * spike, jump, zero on an energised meter, negative, frozen, register sum),
 * with the meter multiplier applied to the returned copy.
 */
#include "ami/ami_mdm_vee.h"

#include <string.h>

#include "ami/ami_err.h"
#include "mdm_vee_int.h"

/* ---------------------------------------------------------------------- */
/* Defaults and names */

void ami_mdm_vee_params_default(ami_mdm_vee_params *p, ami_mdm_vee_class cls) {
  memset(p, 0, sizeof *p);
  static const uint8_t fail_rules[] = {
      AMI_MDM_RULE_GAP,   AMI_MDM_RULE_DUPLICATE,   AMI_MDM_RULE_NEGATIVE,
      AMI_MDM_RULE_SPIKE, AMI_MDM_RULE_FROZEN,      AMI_MDM_RULE_JUMP,
      AMI_MDM_RULE_ZERO,  AMI_MDM_RULE_REGISTER_SUM};
  static const uint8_t warn_rules[] = {AMI_MDM_RULE_HIGH, AMI_MDM_RULE_LOW,
                                       AMI_MDM_RULE_TIME_TOLERANCE,
                                       AMI_MDM_RULE_CLOCK_ADJUSTED};
  for (size_t i = 0; i < sizeof fail_rules; i++)
    p->action[fail_rules[i]] = AMI_MDM_ACT_FAIL;
  for (size_t i = 0; i < sizeof warn_rules; i++)
    p->action[warn_rules[i]] = AMI_MDM_ACT_WARN;
  p->time_tolerance_s = 60;
  p->high_pct = 95;
  p->high_factor_milli = 2000;
  p->low_pct = 5;
  p->low_factor_milli = 250;
  p->history_min_days = 3;
  p->spike_ratio_milli = 10000;
  p->spike_min = 1000000;
  p->jump_max = 7000000;
  p->zero_min_s = 86400;
  p->voltage_min = 50000;
  p->frozen_min = 24;
  p->register_tol_milli = 10;
  p->register_tol_abs = 10000;
  if (cls == AMI_MDM_CLASS_NET_METERED) {
    p->action[AMI_MDM_RULE_NEGATIVE] = AMI_MDM_ACT_OFF;
    p->action[AMI_MDM_RULE_ZERO] = AMI_MDM_ACT_OFF;
    p->action[AMI_MDM_RULE_LOW] = AMI_MDM_ACT_OFF;
  }
}

const char *ami_mdm_rule_name(int rule) {
  static const char *const names[AMI_MDM_RULE_COUNT] = {
      "?",        "gap",    "duplicate",   "time tolerance", "clock adjusted",
      "high",     "low",    "spike",       "jump",           "zero",
      "negative", "frozen", "register sum"};
  return (rule > 0 && rule < AMI_MDM_RULE_COUNT) ? names[rule] : "?";
}

/* ---------------------------------------------------------------------- */
/* Grid helpers */

static bool interval_ok(uint32_t s) {
  return s >= 60 && s <= 86400 && 86400 % s == 0;
}

uint32_t ami__vee_interval(const ami_mdm_vee_input *in) {
  if (!in || !in->channel || !interval_ok(in->channel->interval_s))
    return 0;
  return in->channel->interval_s;
}

bool ami__vee_index_starting(const ami_mdm_vee_input *in, int64_t s,
                             int64_t *i) {
  int64_t I = ami__vee_interval(in);
  if (I == 0 || (s + I - in->t0) % I != 0)
    return false;
  *i = (s + I - in->t0) / I;
  return true;
}

bool ami__vee_read_index(const ami_mdm_vee_input *in, int64_t t, uint32_t tol_s,
                         int64_t *i) {
  int64_t I = ami__vee_interval(in);
  if (I == 0)
    return false;
  int64_t d = t - in->t0;
  int64_t q = d >= 0 ? (d + I / 2) / I : -((-d + I / 2) / I);
  int64_t off = d - q * I;
  if (off < -(int64_t)tol_s || off > (int64_t)tol_s)
    return false;
  *i = q;
  return true;
}

bool ami__vee_history_at(const ami_mdm_vee_input *in, int64_t t, int64_t *v) {
  int64_t I = ami__vee_interval(in);
  if (!in->history || in->history_n == 0 || I == 0)
    return false;
  int64_t d = t - in->history_t0;
  if (d < 0 || d % I != 0 || d / I >= (int64_t)in->history_n)
    return false;
  const ami_mdm_interval *h = &in->history[d / I];
  if (!ami__vee_good(h))
    return false;
  *v = h->value;
  return true;
}

uint32_t ami_mdm_vee_day_intervals(const ami_mdm_tz *tz, int64_t day,
                                   uint32_t interval_s) {
  if (!interval_ok(interval_s))
    return 0;
  return (uint32_t)(ami_mdm_tz_day_length(tz, day) / interval_s);
}

/* ---------------------------------------------------------------------- */
/* Align */

int ami_mdm_vee_align(const ami_mdm_vee_params *p, uint32_t interval_s,
                      const ami_mdm_reading *r, size_t nr, int64_t t0,
                      ami_mdm_interval *grid, size_t n,
                      ami_mdm_align_stats *st) {
  if (!p || !st || !interval_ok(interval_s) || (nr && !r) || (n && !grid))
    return AMI_E_INVAL;
  memset(st, 0, sizeof *st);
  for (size_t i = 0; i < n; i++) {
    grid[i].value = 0;
    grid[i].quality = AMI_MDM_Q_MISSING;
    grid[i].method = 0;
    grid[i].flags = 0;
  }
  const int64_t I = interval_s;
  for (size_t k = 0; k < nr; k++) {
    int64_t d = r[k].t - t0;
    /* Nearest grid point, rounding half away from the previous one. */
    int64_t q = d >= 0 ? (d + I / 2) / I : -((-d + I / 2 - 1) / I);
    int64_t off = d - q * I;
    if (off < 0)
      off = -off;
    if (q < 0 || q >= (int64_t)n) {
      st->outside++;
      continue;
    }
    if (off > (int64_t)p->time_tolerance_s) {
      st->rejected++;
      continue;
    }
    ami_mdm_interval v = r[k].v;
    if (off != 0) {
      v.flags |= AMI_MDM_F_TIME_TOLERANCE;
      st->snapped++;
    } else {
      st->placed++;
    }
    ami_mdm_interval *g = &grid[q];
    if (v.quality == AMI_MDM_Q_MISSING && g->quality != AMI_MDM_Q_MISSING) {
      st->repeats++; /* a null re-send never wipes a value */
      continue;
    }
    if (g->quality != AMI_MDM_Q_MISSING || (g->flags & AMI_MDM_F_DUPLICATE)) {
      if (g->value == v.value && g->quality == v.quality) {
        st->repeats++;
        continue;
      }
      st->duplicates++;
      v.flags |= AMI_MDM_F_DUPLICATE;
    }
    *g = v;
  }
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* Completeness */

size_t ami_mdm_vee_completeness(const ami_mdm_vee_input *in,
                                ami_mdm_vee_day *days, size_t cap) {
  int64_t I = ami__vee_interval(in);
  if (I == 0 || in->n == 0 || !in->iv)
    return 0;
  size_t nd = 0;
  int64_t prev_day = INT64_MIN;
  for (size_t i = 0; i < in->n; i++) {
    int64_t start = in->t0 + (int64_t)i * I - I;
    int64_t day = ami_mdm_tz_local_day(in->tz, start);
    if (day != prev_day) {
      prev_day = day;
      nd++;
      if (nd <= cap) {
        days[nd - 1].day = day;
        days[nd - 1].expected =
            ami_mdm_vee_day_intervals(in->tz, day, (uint32_t)I);
        days[nd - 1].in_series = 0;
        days[nd - 1].present = 0;
      }
    }
    if (nd <= cap) {
      days[nd - 1].in_series++;
      if (in->iv[i].quality != AMI_MDM_Q_MISSING)
        days[nd - 1].present++;
    }
  }
  return nd;
}

/* ---------------------------------------------------------------------- */
/* Validation context and reporting */

typedef struct vctx {
  const ami_mdm_vee_params *p;
  const ami_mdm_vee_input *in;
  ami_mdm_interval *out;
  ami_mdm_vee_failure *fail;
  size_t fail_cap;
  ami_mdm_vee_summary *sum;
  int64_t I;
} vctx;

/* Records one failure of `rule` at interval i and applies its action. */
static void report(vctx *c, size_t i, int rule, int64_t observed,
                   int64_t limit) {
  uint8_t act = c->p->action[rule];
  if (act == AMI_MDM_ACT_OFF)
    return;
  c->sum->by_rule[rule]++;
  if (act == AMI_MDM_ACT_WARN)
    c->sum->warnings++;
  if (c->sum->n_failures < c->fail_cap) {
    ami_mdm_vee_failure *f = &c->fail[c->sum->n_failures++];
    f->index = (uint32_t)i;
    f->rule = (uint8_t)rule;
    f->action = act;
    f->observed = observed;
    f->limit = limit;
  } else {
    c->sum->failures_dropped++;
  }
  if (act == AMI_MDM_ACT_FAIL && c->out[i].quality != AMI_MDM_Q_MISSING)
    c->out[i].quality = AMI_MDM_Q_VALIDATION_FAILED;
}

static bool present(const vctx *c, size_t i) {
  return c->out[i].quality != AMI_MDM_Q_MISSING;
}

static int64_t absv(int64_t v) {
  return v < 0 ? -v : v;
}

/* raw x multiplier / 1000, rounded half away from zero. */
static int64_t apply_multiplier(int64_t v, int32_t m) {
  if (m == 0 || m == 1000)
    return v;
  /* Split v = q * 1000 + r so that no product overflows for |m| < 2^31
   * and |v| < 2^53 (beyond any meter's energy in milli-units). */
  int64_t q = v / 1000, r = v % 1000;
  int64_t x = r * m; /* |x| < 2^41 */
  int64_t rx = x >= 0 ? (x + 500) / 1000 : -((-x + 500) / 1000);
  return q * m + rx;
}

/* Marks the intervals overlapping [from, to] with `flag`. Interval i
 * covers (t0 + (i - 1) I, t0 + i I]. */
static void flag_span(vctx *c, int64_t from, int64_t to, uint16_t flag) {
  int64_t n = (int64_t)c->in->n;
  for (int64_t i = 0; i < n; i++) {
    int64_t e = c->in->t0 + i * c->I, s = e - c->I;
    if (e >= from && s < to)
      c->out[i].flags |= flag;
  }
}

static bool is_disconnect(uint16_t code) {
  return code == MDM_EV_MANUAL_DISCONNECT || code == MDM_EV_REMOTE_DISCONNECT ||
         code == MDM_EV_LOCAL_DISCONNECT;
}

static bool is_connect(uint16_t code) {
  return code == MDM_EV_MANUAL_CONNECT || code == MDM_EV_REMOTE_CONNECT ||
         code == MDM_EV_LOCAL_CONNECT;
}

/* First event after t (in time) matching `pred`, or INT64_MAX. */
static int64_t next_event(const ami_mdm_vee_input *in, int64_t t,
                          bool (*pred)(uint16_t)) {
  int64_t best = INT64_MAX;
  for (size_t k = 0; k < in->n_events; k++) {
    const ami_mdm_event *e = &in->events[k];
    if (e->meter_id == in->channel->meter_id && e->t >= t && pred(e->code) &&
        e->t < best)
      best = e->t;
  }
  return best;
}

static bool is_power_up(uint16_t code) {
  return code == MDM_EV_POWER_UP;
}

/* A voltage profile saying "no supply" in interval i flags it as an
 * outage: the zero rule then excuses it and interpolation avoids it. */
static void apply_voltage(vctx *c) {
  const ami_mdm_vee_input *in = c->in;
  for (size_t i = 0; in->voltage && i < in->n && i < in->voltage_n; i++) {
    const ami_mdm_interval *v = &in->voltage[i];
    if (v->quality != AMI_MDM_Q_MISSING && v->value <= c->p->voltage_min)
      c->out[i].flags |= AMI_MDM_F_POWER_OUTAGE;
  }
}

/* Events -> per-interval flags: outages (POWER_DOWN .. POWER_UP, or to
 * the end when the meter has not reported power up), disconnections,
 * clock adjustments and tamper. */
static void apply_events(vctx *c) {
  const ami_mdm_vee_input *in = c->in;
  for (size_t k = 0; k < in->n_events; k++) {
    const ami_mdm_event *e = &in->events[k];
    if (e->meter_id != in->channel->meter_id)
      continue;
    switch (e->code) {
    case MDM_EV_POWER_DOWN:
      flag_span(c, e->t, next_event(in, e->t, is_power_up),
                AMI_MDM_F_POWER_OUTAGE);
      break;
    case MDM_EV_CLOCK_ADJUSTED_OLD:
    case MDM_EV_CLOCK_ADJUSTED_NEW:
      flag_span(c, e->t, e->t, AMI_MDM_F_CLOCK_ADJUSTED);
      break;
    case MDM_EV_TERMINAL_COVER_OPENED:
    case MDM_EV_METER_COVER_OPENED:
    case MDM_EV_MAGNETIC_FIELD:
      flag_span(c, e->t, e->t, AMI_MDM_F_TAMPER);
      break;
    default:
      if (is_disconnect(e->code))
        flag_span(c, e->t, next_event(in, e->t, is_connect),
                  AMI_MDM_F_DISCONNECTED);
      break;
    }
  }
}

/* ---------------------------------------------------------------------- */
/* Per-interval and run rules */

static void rule_flags(vctx *c) {
  for (size_t i = 0; i < c->in->n; i++) {
    uint16_t f = c->out[i].flags;
    if (!present(c, i)) {
      report(c, i, AMI_MDM_RULE_GAP, 0, 0);
      continue;
    }
    if (f & AMI_MDM_F_DUPLICATE)
      report(c, i, AMI_MDM_RULE_DUPLICATE, c->out[i].value, 0);
    if (f & AMI_MDM_F_TIME_TOLERANCE)
      report(c, i, AMI_MDM_RULE_TIME_TOLERANCE, c->out[i].value, 0);
    if (f & AMI_MDM_F_CLOCK_ADJUSTED)
      report(c, i, AMI_MDM_RULE_CLOCK_ADJUSTED, c->out[i].value, 0);
  }
}

static void rule_negative_jump(vctx *c) {
  const ami_mdm_channel_info *ch = c->in->channel;
  bool may_be_negative = ch->net_metered || ch->direction == AMI_MDM_NET;
  bool have_prev = false;
  int64_t prev = 0;
  for (size_t i = 0; i < c->in->n; i++) {
    if (!present(c, i)) {
      have_prev = false;
      continue;
    }
    int64_t v = c->out[i].value;
    if (v < 0 && !may_be_negative)
      report(c, i, AMI_MDM_RULE_NEGATIVE, v, 0);
    if (have_prev && c->p->jump_max > 0 && absv(v - prev) > c->p->jump_max)
      report(c, i, AMI_MDM_RULE_JUMP, v - prev, c->p->jump_max);
    prev = v;
    have_prev = true;
  }
}

/* Zero runs on an energised, connected meter, and frozen (identical
 * non-zero) runs: both judged on maximal runs of present values. */
static void rule_runs(vctx *c) {
  size_t n = c->in->n;
  const uint16_t excuse = AMI_MDM_F_POWER_OUTAGE | AMI_MDM_F_DISCONNECTED;
  size_t i = 0;
  while (i < n) {
    if (!present(c, i)) {
      i++;
      continue;
    }
    int64_t v = c->out[i].value;
    size_t j = i + 1;
    if (v == 0) {
      /* A zero run is broken by an excused (outage) interval too. */
      if (c->out[i].flags & excuse) {
        i++;
        continue;
      }
      while (j < n && present(c, j) && c->out[j].value == 0 &&
             !(c->out[j].flags & excuse))
        j++;
      int64_t secs = (int64_t)(j - i) * c->I;
      if (c->p->zero_min_s > 0 && secs >= (int64_t)c->p->zero_min_s)
        for (size_t k = i; k < j; k++)
          report(c, k, AMI_MDM_RULE_ZERO, secs, c->p->zero_min_s);
    } else {
      while (j < n && present(c, j) && c->out[j].value == v)
        j++;
      if (c->p->frozen_min > 1 && j - i >= c->p->frozen_min)
        for (size_t k = i; k < j; k++)
          report(c, k, AMI_MDM_RULE_FROZEN, (int64_t)(j - i), c->p->frozen_min);
    }
    i = j;
  }
}

/* Sum of intervals between consecutive register reads against the
 * register advance (raw units both). Reads further than the time
 * tolerance from an interval boundary, outside the series, or spanning a
 * missing interval are not checked. */
static void rule_register_sum(vctx *c) {
  const ami_mdm_vee_input *in = c->in;
  for (size_t k = 0; k + 1 < in->n_reads; k++) {
    const ami_mdm_register_read *a = &in->reads[k], *b = &in->reads[k + 1];
    int64_t ia, ib;
    if (!ami__vee_read_index(in, a->t, c->p->time_tolerance_s, &ia) ||
        !ami__vee_read_index(in, b->t, c->p->time_tolerance_s, &ib))
      continue;
    if (ib <= ia || ia < -1 || ib >= (int64_t)in->n)
      continue;
    int64_t s = 0;
    bool complete = true;
    for (int64_t i = ia + 1; i <= ib; i++) {
      if (in->iv[i].quality == AMI_MDM_Q_MISSING) {
        complete = false;
        break;
      }
      s += in->iv[i].value;
    }
    if (!complete)
      continue;
    int64_t adv = b->value - a->value;
    int64_t tol = absv(adv) / 1000 * c->p->register_tol_milli +
                  (absv(adv) % 1000) * c->p->register_tol_milli / 1000 +
                  c->p->register_tol_abs;
    if (absv(s - adv) > tol)
      for (int64_t i = ia + 1; i <= ib; i++)
        report(c, (size_t)i, AMI_MDM_RULE_REGISTER_SUM, s, adv);
  }
}

/* ---------------------------------------------------------------------- */
/* Per-local-day rules: spike, high/low */

#define HIST_MAX 64

/* Nearest-rank percentile of the sorted array a[0..n). */
static int64_t percentile(const int64_t *a, size_t n, unsigned pct) {
  size_t rank = (pct * n + 99) / 100;
  if (rank == 0)
    rank = 1;
  return a[rank - 1];
}

static void sort_i64(int64_t *a, size_t n) {
  for (size_t i = 1; i < n; i++) {
    int64_t x = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1] > x; j--)
      a[j] = a[j - 1];
    a[j] = x;
  }
}

/* Totals of complete same-weekday days in history, most recent first, up
 * to HIST_MAX and 53 weeks back. */
static size_t history_totals(const vctx *c, int64_t day, int64_t *tot) {
  size_t nt = 0;
  for (int64_t w = 1; w <= 53 && nt < HIST_MAX; w++) {
    int64_t d = day - 7 * w;
    int64_t s = ami_mdm_tz_day_start(c->in->tz, d);
    int64_t e = ami_mdm_tz_day_start(c->in->tz, d + 1);
    int64_t sum = 0;
    bool ok = true;
    for (int64_t t = s + c->I; t <= e && ok; t += c->I) {
      int64_t v;
      ok = ami__vee_history_at(c->in, t, &v);
      sum += ok ? v : 0;
    }
    if (ok)
      tot[nt++] = sum;
  }
  return nt;
}

static void judge_day_history(vctx *c, int64_t day, size_t i0, size_t cnt) {
  int64_t total = 0;
  bool complete = true;
  for (size_t i = i0; i < i0 + cnt; i++) {
    if (!present(c, i))
      complete = false;
    else
      total += c->out[i].value;
  }
  int64_t tot[HIST_MAX];
  size_t nt = history_totals(c, day, tot);
  if (nt < c->p->history_min_days || nt == 0)
    return;
  sort_i64(tot, nt);
  int64_t hi = percentile(tot, nt, c->p->high_pct) / 1000 *
                   (int64_t)c->p->high_factor_milli +
               percentile(tot, nt, c->p->high_pct) % 1000 *
                   (int64_t)c->p->high_factor_milli / 1000;
  int64_t lo = percentile(tot, nt, c->p->low_pct) / 1000 *
                   (int64_t)c->p->low_factor_milli +
               percentile(tot, nt, c->p->low_pct) % 1000 *
                   (int64_t)c->p->low_factor_milli / 1000;
  bool high = total > hi && c->p->action[AMI_MDM_RULE_HIGH];
  bool low = complete && total < lo && c->p->action[AMI_MDM_RULE_LOW];
  for (size_t i = i0; i < i0 + cnt; i++) {
    if (!present(c, i))
      continue;
    if (high)
      report(c, i, AMI_MDM_RULE_HIGH, total, hi);
    if (low)
      report(c, i, AMI_MDM_RULE_LOW, total, lo);
  }
}

/* Spike: the day's highest |value| against its third-highest. */
static void judge_day_spike(vctx *c, size_t i0, size_t cnt) {
  int64_t top[3] = {-1, -1, -1};
  size_t at = 0, np = 0;
  for (size_t i = i0; i < i0 + cnt; i++) {
    if (!present(c, i))
      continue;
    np++;
    int64_t v = absv(c->out[i].value);
    if (v > top[0]) {
      top[2] = top[1];
      top[1] = top[0];
      top[0] = v;
      at = i;
    } else if (v > top[1]) {
      top[2] = top[1];
      top[1] = v;
    } else if (v > top[2]) {
      top[2] = v;
    }
  }
  if (np < 3 || top[0] < c->p->spike_min)
    return;
  /* highest > ratio x third  <=>  highest * 1000 > ratio_milli * third */
  if ((double)top[0] * 1000.0 >
      (double)c->p->spike_ratio_milli * (double)top[2])
    report(c, at, AMI_MDM_RULE_SPIKE, top[0], top[2]);
}

static void rule_days(vctx *c) {
  const ami_mdm_vee_input *in = c->in;
  int64_t first = ami_mdm_tz_local_day(in->tz, in->t0 - c->I);
  int64_t last =
      ami_mdm_tz_local_day(in->tz, in->t0 + (int64_t)(in->n - 1) * c->I - c->I);
  for (int64_t day = first; day <= last; day++) {
    int64_t s = ami_mdm_tz_day_start(in->tz, day);
    int64_t cnt = ami_mdm_tz_day_length(in->tz, day) / c->I;
    int64_t i0;
    if (!ami__vee_index_starting(in, s, &i0))
      return; /* grid not aligned with local days: day rules skipped */
    int64_t a = i0 < 0 ? 0 : i0, b = i0 + cnt;
    if (b > (int64_t)in->n)
      b = (int64_t)in->n;
    if (b <= a)
      continue;
    if (c->p->action[AMI_MDM_RULE_SPIKE])
      judge_day_spike(c, (size_t)a, (size_t)(b - a));
    /* High/low only for days wholly inside the series. */
    if (i0 >= 0 && i0 + cnt <= (int64_t)in->n &&
        (c->p->action[AMI_MDM_RULE_HIGH] || c->p->action[AMI_MDM_RULE_LOW]))
      judge_day_history(c, day, (size_t)i0, (size_t)cnt);
  }
}

/* ---------------------------------------------------------------------- */

int ami_mdm_vee_validate(const ami_mdm_vee_params *p,
                         const ami_mdm_vee_input *in, ami_mdm_interval *out,
                         ami_mdm_vee_failure *fail, size_t fail_cap,
                         ami_mdm_vee_summary *sum) {
  if (!p || !sum || ami__vee_interval(in) == 0 ||
      (in->n && (!in->iv || !out)) || (fail_cap && !fail) ||
      (in->n_reads && !in->reads) || (in->n_events && !in->events) ||
      in->n > UINT32_MAX)
    return AMI_E_INVAL;
  memset(sum, 0, sizeof *sum);
  vctx c = {p, in, out, fail, fail_cap, sum, ami__vee_interval(in)};
  for (size_t i = 0; i < in->n; i++) {
    out[i] = in->iv[i];
    if (out[i].quality != AMI_MDM_Q_MISSING) {
      out[i].value =
          apply_multiplier(out[i].value, in->channel->multiplier_milli);
      sum->present++;
    }
  }
  sum->n = (uint32_t)in->n;
  /* expected: the intervals of the local days the series touches. */
  {
    int64_t first = ami_mdm_tz_local_day(in->tz, in->t0 - c.I);
    int64_t last =
        in->n ? ami_mdm_tz_local_day(in->tz,
                                     in->t0 + (int64_t)(in->n - 1) * c.I - c.I)
              : first - 1;
    for (int64_t d = first; d <= last; d++)
      sum->expected += ami_mdm_vee_day_intervals(in->tz, d, (uint32_t)c.I);
  }
  if (in->n == 0)
    return AMI_OK;
  apply_events(&c);
  apply_voltage(&c);
  rule_flags(&c);
  rule_negative_jump(&c);
  rule_runs(&c);
  rule_register_sum(&c);
  rule_days(&c);
  for (size_t i = 0; i < in->n; i++)
    if (out[i].quality == AMI_MDM_Q_VALIDATION_FAILED)
      sum->failed++;
  return AMI_OK;
}
