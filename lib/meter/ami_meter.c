/*
 * ami_meter.c -- the meter core's life and time: creation from a config,
 * the step that distributes metrology energy deltas over tariff rates and
 * processes every minute boundary in between (demand periods, load profile
 * captures, daily and monthly billing, calendar activation, DST changes),
 * clock adjustments and the event logs. The COSEM objects themselves are
 * built and answered for in ami_meter_model.c; calendars and local time
 * are in ami_meter_tou.c.
 */
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_meter_events.h"
#include "ami_meter_internal.h"

static int64_t mod_pos(int64_t a, int64_t b) {
  int64_t r = a % b;
  return r < 0 ? r + b : r;
}

/* a * b / c for 0 <= a, 0 <= b <= c, without overflow: a share of an
 * energy delta proportional to a share of time. */
static int64_t share(int64_t a, uint64_t b, uint64_t c) {
  if (a <= 0 || c == 0)
    return 0;
#ifdef __SIZEOF_INT128__
  __extension__ typedef unsigned __int128 u128;
  return (int64_t)((u128)(uint64_t)a * b / c);
#else
  uint64_t q = (uint64_t)a / c, r = (uint64_t)a % c;
  /* r * b may overflow only when both exceed 2^32; halve until safe. */
  uint64_t rb = 0, bb = b, cc = c;
  while (r > 0xFFFFFFFFu || bb > 0xFFFFFFFFu) {
    r >>= 1;
    cc >>= 1;
    if (!cc)
      return (int64_t)(q * b);
  }
  rb = r * bb / cc;
  return (int64_t)(q * b + rb);
#endif
}

/* ---- configuration ----------------------------------------------------------
 */

static bool period_ok(uint32_t s) {
  return s >= 60 && s % 60 == 0 && 86400 % s == 0;
}

/* EU rule (Directive 2000/84/EC): DST from the last Sunday of March, 01:00
 * UTC, to the last Sunday of October, 01:00 UTC -- expressed as the Clock
 * attributes want it: local standard time at begin, local daylight time at
 * end, as a date-time with wildcards (month, day 0xFE "last", Sunday). */
static ami_cosem_datetime eu_rule(uint8_t month, int local_hour) {
  ami_cosem_datetime dt = ami_cosem_datetime_unspecified();
  dt.date.month = month;
  dt.date.day = AMI_COSEM_DAY_LAST;
  dt.date.day_of_week = 7;
  dt.time.hour = (uint8_t)local_hour;
  dt.time.minute = 0;
  dt.time.second = 0;
  dt.time.hundredths = 0;
  return dt;
}

static int apply_config(ami_meter *m, const ami_meter_config *in) {
  ami_meter_config *c = &m->cfg;
  *c = *in;
  if (!c->logical_device_name)
    c->logical_device_name = "OAM0000000000001";
  if (!c->serial)
    c->serial = "00000001";
  if (!c->manufacturer)
    c->manufacturer = "OAM";
  if (!c->phases)
    c->phases = 3;
  if (!c->lp1_period_s)
    c->lp1_period_s = 900;
  if (!c->lp2_period_s)
    c->lp2_period_s = 600;
  if (!c->lp1_rows)
    c->lp1_rows = 2880;
  if (!c->lp2_rows)
    c->lp2_rows = 1440;
  if (!c->event_rows)
    c->event_rows = 100;
  if (!c->billing_rows)
    c->billing_rows = 15;
  if (!c->daily_rows)
    c->daily_rows = 62;
  if (!c->demand_period_s)
    c->demand_period_s = 900;
  if (!c->demand_periods)
    c->demand_periods = 1;
  if (!c->billing_day)
    c->billing_day = 1;
  if (c->phases != 1 && c->phases != 3)
    return AMI_E_INVAL;
  if (!period_ok(c->lp1_period_s) || !period_ok(c->lp2_period_s) ||
      !period_ok(c->demand_period_s) ||
      c->demand_periods > AMI__METER_MAX_WINDOW || c->billing_day > 28 ||
      c->billing_hour > 23 || c->tz_offset_min < -720 ||
      c->tz_offset_min > 720 || c->nspecial_days > AMI_METER_MAX_SPECIAL ||
      (c->nspecial_days && !c->special_days))
    return AMI_E_INVAL;
  if (c->calendar) {
    int rc = ami__meter_calendar_check(c->calendar);
    if (rc != AMI_OK)
      return rc;
    m->active = *c->calendar;
  }
  if (c->nspecial_days)
    memcpy(m->special, c->special_days,
           c->nspecial_days * sizeof *c->special_days);
  m->nspecial = c->nspecial_days;
  m->tz_min = c->tz_offset_min;
  m->dst_enabled = c->dst_enabled;
  m->dst_dev_min = c->dst_deviation_min ? c->dst_deviation_min : 60;
  m->dst_begin = eu_rule(3, (60 + c->tz_offset_min) / 60);
  m->dst_end = eu_rule(10, (60 + c->tz_offset_min + m->dst_dev_min) / 60);
  m->dem_period_s = c->demand_period_s;
  m->dem_n = c->demand_periods;
  return AMI_OK;
}

int ami_meter_new(const ami_meter_config *cfg, const ami_allocator *alloc,
                  uint64_t now_utc_ms, ami_meter **out) {
  *out = NULL;
  if (!cfg)
    return AMI_E_INVAL;
  ami_meter *m = ami_malloc(alloc, sizeof *m);
  if (!m)
    return AMI_E_NOMEM;
  memset(m, 0, sizeof *m);
  m->alloc = alloc;
  int rc = apply_config(m, cfg);
  ami_cosem_limits lim = {0};
  if (cfg->limits)
    lim = *cfg->limits;
  if (!lim.max_value_len)
    lim.max_value_len = 4096; /* calendars are larger than the default */
  if (rc == AMI_OK)
    rc = ami_cosem_model_new(alloc, &lim, &m->model);
  m->last_dev = now_utc_ms;
  m->dem_start_dev = now_utc_ms;
  m->voltage_present = true;
  m->sched_dirty = true; /* parse the schedule the build stores */
  if (rc == AMI_OK)
    rc = ami__meter_build_model(m);
  /* The identity strings were borrowed for the build only. */
  m->cfg.logical_device_name = m->cfg.serial = m->cfg.manufacturer = NULL;
  m->cfg.calendar = NULL;
  m->cfg.special_days = NULL;
  m->cfg.limits = NULL;
  m->cfg.metrology_id = NULL;
  if (rc != AMI_OK) {
    ami_meter_free(m);
    return rc;
  }
  m->dst_last = ami__meter_dst_active(m, m->last_dev);
  m->rate = ami__meter_rate_at(m, ami__meter_local_s(m, m->last_dev));
  *out = m;
  return AMI_OK;
}

void ami_meter_free(ami_meter *m) {
  if (!m)
    return;
  ami_cosem_model_free(m->model);
  ami_free(m->alloc, m);
}

ami_cosem_model *ami_meter_model(ami_meter *m) {
  return m->model;
}

/* ---- captures and events ----------------------------------------------------
 */

/* Capture a profile row as of device time dev_ms: the Clock column (and
 * every value the meter answers for) reads that time, not the step's. */
int ami__meter_capture(ami_meter *m, ami_cosem_object *prof, uint64_t dev_ms) {
  m->capturing = true;
  m->capture_dev = dev_ms;
  int rc = ami_cosem_profile_capture(prof, dev_ms);
  m->capturing = false;
  return rc;
}

static unsigned log_of(uint16_t code) {
  if (code >= 40 && code <= 59)
    return 1; /* fraud detection 0-0:99.98.1 */
  if (code >= 60 && code <= 75)
    return 2; /* disconnector control 0-0:99.98.2 */
  if (code >= 76 && code <= 99)
    return 3; /* power quality 0-0:99.98.4 */
  return 0;   /* standard 0-0:99.98.0 */
}

int ami__meter_log_dev(ami_meter *m, uint16_t code, uint64_t dev_ms) {
  if (code > 255)
    return AMI_E_RANGE;
  unsigned i = log_of(code);
  uint8_t v[2] = {AMI_AXDR_UNSIGNED, (uint8_t)code};
  int rc = ami__meter_store(m->ev_code[i], 2, v, 2);
  if (rc == AMI_OK)
    rc = ami__meter_capture(m, m->ev_log[i], dev_ms);
  return rc;
}

int ami_meter_log_event(ami_meter *m, uint16_t code, uint64_t now_utc_ms) {
  return ami__meter_log_dev(m, code, ami_meter_device_time(m, now_utc_ms));
}

int ami_meter_tamper(ami_meter *m, ami_meter_tamper_kind kind,
                     uint64_t now_utc_ms) {
  static const uint16_t codes[] = {
      AMI_EV_TERMINAL_COVER_OPENED, AMI_EV_TERMINAL_COVER_CLOSED,
      AMI_EV_METER_COVER_OPENED,    AMI_EV_METER_COVER_CLOSED,
      AMI_EV_MAGNETIC_FIELD,        AMI_EV_MAGNETIC_FIELD_GONE};
  if ((unsigned)kind >= sizeof codes / sizeof codes[0])
    return AMI_E_INVAL;
  return ami_meter_log_event(m, codes[kind], now_utc_ms);
}

/* ---- clock ------------------------------------------------------------------
 */

uint64_t ami_meter_device_time(const ami_meter *m, uint64_t now_utc_ms) {
  int64_t d = (int64_t)now_utc_ms + m->offset_ms;
  return d < 0 ? 0 : (uint64_t)d;
}

/* The clock is set: log the old time (event 4) and the new (event 5), move
 * the offset, flag the next load profile row. Boundaries the jump passes
 * over are not processed (see ami_meter.h). */
int ami__meter_adjust_clock(ami_meter *m, int64_t new_dev_ms) {
  if (new_dev_ms < 0)
    new_dev_ms = 0;
  uint64_t old = m->last_dev;
  int rc = ami__meter_log_dev(m, AMI_EV_CLOCK_ADJUSTED_OLD, old);
  m->offset_ms += new_dev_ms - (int64_t)old;
  m->last_dev = (uint64_t)new_dev_ms;
  if (rc == AMI_OK)
    rc = ami__meter_log_dev(m, AMI_EV_CLOCK_ADJUSTED_NEW, m->last_dev);
  m->status |= AMI__METER_ST_CLOCK_ADJ;
  m->dst_last = ami__meter_dst_active(m, m->last_dev);
  m->rate = ami__meter_rate_at(m, ami__meter_local_s(m, m->last_dev));
  return rc;
}

int ami_meter_set_time(ami_meter *m, uint64_t device_utc_ms,
                       uint64_t now_utc_ms) {
  int rc = ami_meter_step(m, now_utc_ms, NULL);
  if (rc == AMI_OK)
    rc = ami__meter_adjust_clock(m, (int64_t)device_utc_ms);
  return rc;
}

/* ---- demand (Blue Book class 5) ---------------------------------------------
 */

void ami__meter_demand_clear(ami_meter *m) {
  memset(m->dem_sub, 0, sizeof m->dem_sub);
  m->dem_head = m->dem_count = 0;
  m->dem_cur[0] = m->dem_cur[1] = 0;
  m->dem_last[0] = m->dem_last[1] = 0;
  m->dem_start_dev = m->last_dev;
}

/* Energy (mWh) over a window of n subperiods of P seconds -> W. */
static int64_t to_watts(const ami_meter *m, int64_t mwh) {
  uint64_t window_s = (uint64_t)m->dem_period_s * m->dem_n;
  return share(mwh, 3600, window_s * 1000);
}

/* Sum of the newest k completed subperiods of quantity q. */
static int64_t window_sum(const ami_meter *m, unsigned q, unsigned k) {
  int64_t s = 0;
  for (unsigned i = 0; i < k && i < m->dem_count; i++)
    s += m->dem_sub[q][(m->dem_head + m->dem_n - 1 - i) % m->dem_n];
  return s;
}

/* current_average_value: the sliding window made of the n-1 newest
 * completed subperiods and the running one, over the full window length
 * (block demand, n = 1: the running period's energy over its length). */
int64_t ami__meter_demand_current(const ami_meter *m, unsigned q) {
  return to_watts(m, window_sum(m, q, m->dem_n - 1u) + m->dem_cur[q]);
}

void ami__meter_maxdem_reset(ami_meter *m, unsigned q, unsigned rate) {
  m->maxd[q][rate] = 0;
  m->maxd_time[q][rate] = 0;
}

/* End of a subperiod at dev_ms: last_average_value = the window's average;
 * maximum demand registers keep the highest (total, and the rate in force
 * during the subperiod's last part for +A). */
int ami__meter_demand_end(ami_meter *m, uint64_t dev_ms) {
  for (unsigned q = 0; q < 2; q++) {
    m->dem_sub[q][m->dem_head] = m->dem_cur[q];
    m->dem_cur[q] = 0;
  }
  m->dem_head = (uint16_t)((m->dem_head + 1) % m->dem_n);
  if (m->dem_count < m->dem_n)
    m->dem_count++;
  for (unsigned q = 0; q < 2; q++) {
    int64_t w = to_watts(m, window_sum(m, q, m->dem_n));
    m->dem_last[q] = w;
    unsigned rates[2] = {0, q == 0 ? m->rate : 0};
    for (unsigned k = 0; k < (q == 0 ? 2u : 1u); k++)
      if (w > m->maxd[q][rates[k]]) {
        m->maxd[q][rates[k]] = w;
        m->maxd_time[q][rates[k]] = dev_ms;
      }
  }
  m->dem_capture_dev = dev_ms;
  m->dem_start_dev = dev_ms;
  return AMI_OK;
}

int ami_meter_demand_reset(ami_meter *m, uint64_t now_utc_ms) {
  (void)now_utc_ms;
  for (unsigned q = 0; q < 2; q++)
    for (unsigned r = 0; r <= AMI_METER_RATES; r++)
      ami__meter_maxdem_reset(m, q, r);
  return AMI_OK;
}

int ami__meter_end_billing(ami_meter *m, uint64_t dev_ms) {
  int rc = ami__meter_capture(m, m->bill_month, dev_ms);
  if (rc == AMI_OK)
    rc = ami_meter_demand_reset(m, dev_ms);
  return rc;
}

int ami_meter_end_billing_period(ami_meter *m, uint64_t now_utc_ms) {
  int rc = ami_meter_step(m, now_utc_ms, NULL);
  return rc == AMI_OK ? ami__meter_end_billing(m, m->last_dev) : rc;
}

/* ---- calendar activation ----------------------------------------------------
 */

/* activate_passive_calendar (Blue Book class 20 method 1): the passive
 * calendar becomes active; the activation time is disarmed ("not
 * specified") so that it fires once; event 9. */
int ami__meter_activate(ami_meter *m, uint64_t dev_ms) {
  ami_meter_calendar c;
  int rc = ami__meter_get_passive(m, &c);
  if (rc != AMI_OK)
    return rc == AMI_E_NOMEM ? rc : AMI_E_INVAL;
  m->active = c;
  ami_cosem_datetime u = ami_cosem_datetime_unspecified();
  uint8_t buf[16];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_datetime_octets(&w, &u);
  rc = ami__meter_store(m->calendar, 10, buf, w.len);
  if (rc == AMI_OK)
    rc = ami__meter_log_dev(m, AMI_EV_TOU_ACTIVATED, dev_ms);
  m->rate = ami__meter_rate_at(m, ami__meter_local_s(m, dev_ms));
  return rc;
}

int ami_meter_activate_passive_calendar(ami_meter *m, uint64_t now_utc_ms) {
  int rc = ami_meter_step(m, now_utc_ms, NULL);
  return rc == AMI_OK ? ami__meter_activate(m, m->last_dev) : rc;
}

int ami_meter_set_passive_calendar(ami_meter *m, const ami_meter_calendar *cal,
                                   const ami_cosem_datetime *activation_local,
                                   uint64_t now_utc_ms) {
  int rc = ami__meter_calendar_check(cal);
  if (rc != AMI_OK)
    return rc;
  uint8_t buf[4096];
  for (unsigned a = 0; a < 4 && rc == AMI_OK; a++) {
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    ami__meter_put_calendar(&w, cal, a);
    rc = w.err ? w.err : ami__meter_store(m->calendar, 6 + a, buf, w.len);
  }
  if (rc == AMI_OK && activation_local) {
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    ami_axdr_put_datetime_octets(&w, activation_local);
    rc = ami__meter_store(m->calendar, 10, buf, w.len);
  }
  if (rc == AMI_OK)
    rc = ami_meter_log_event(m, AMI_EV_PASSIVE_TOU_PROGRAMMED, now_utc_ms);
  return rc;
}

/* ---- stepping ---------------------------------------------------------------
 */

static void add_energy(ami_meter *m, unsigned q, int64_t mwh) {
  m->acc[q][0] += mwh;
  m->acc[q][m->rate] += mwh;
  if (q < 2)
    m->dem_cur[q] += mwh;
}

static void readout_totals(const ami_metro_readout *r,
                           int64_t v[AMI_METER_QTY_COUNT]) {
  v[AMI_METER_QTY_IMPORT] = r->total.active_import_mwh;
  v[AMI_METER_QTY_EXPORT] = r->total.active_export_mwh;
  for (unsigned i = 0; i < 4; i++)
    v[AMI_METER_QTY_Q1 + i] = r->total.reactive_q_mvarh[i];
}

/* Everything that happens at a whole device-time minute b, in this order:
 * DST change event; end of a demand subperiod; load profile captures;
 * daily billing (local midnight); monthly billing (Single Action Schedule);
 * passive calendar activation; the rate for the time from b on. Energy up
 * to b has already been added. */
static int boundary(ami_meter *m, uint64_t b) {
  int rc = AMI_OK;
  bool dst = ami__meter_dst_active(m, b);
  if (dst != m->dst_last) {
    m->dst_last = dst;
    rc = ami__meter_log_dev(m, AMI_EV_DST_CHANGED, b);
  }
  int64_t loc = ami__meter_local_s(m, b);
  if (rc == AMI_OK && mod_pos(loc, m->dem_period_s) == 0)
    rc = ami__meter_demand_end(m, b);
  if (rc == AMI_OK && mod_pos(loc, m->cfg.lp1_period_s) == 0) {
    rc = ami__meter_capture(m, m->lp1, b);
    m->status = m->voltage_present ? 0 : AMI__METER_ST_POWER_DOWN;
  }
  if (rc == AMI_OK && mod_pos(loc, m->cfg.lp2_period_s) == 0)
    rc = ami__meter_capture(m, m->lp2, b);
  if (rc == AMI_OK && mod_pos(loc, 86400) == 0)
    rc = ami__meter_capture(m, m->bill_day, b);
  if (rc == AMI_OK && ami__meter_schedule_due(m, loc))
    rc = ami__meter_end_billing(m, b);
  if (rc == AMI_OK && ami__meter_activation_due(m, b))
    rc = ami__meter_activate(m, b);
  m->rate = ami__meter_rate_at(m, loc);
  return rc;
}

/* Events from the readout: supply (voltage_present transitions) and the
 * power-quality counters (one event per kind and step; the readout does not
 * say which phase, so they are logged as L1). */
static int readout_events(ami_meter *m, const ami_metro_readout *r,
                          uint64_t dev) {
  int rc = AMI_OK;
  if (r->voltage_present != m->voltage_present) {
    m->voltage_present = r->voltage_present;
    if (!r->voltage_present)
      m->status |= AMI__METER_ST_POWER_DOWN;
    rc = ami__meter_log_dev(
        m, r->voltage_present ? AMI_EV_POWER_UP : AMI_EV_POWER_DOWN, dev);
  }
  if (rc == AMI_OK && r->quality.sags)
    rc = ami__meter_log_dev(m, AMI_EV_SAG_L1, dev);
  if (rc == AMI_OK && r->quality.swells)
    rc = ami__meter_log_dev(m, AMI_EV_SWELL_L1, dev);
  if (rc == AMI_OK && r->quality.interruptions)
    rc = ami__meter_log_dev(m, AMI_EV_INTERRUPTION_L1, dev);
  return rc;
}

int ami_meter_step(ami_meter *m, uint64_t now_utc_ms,
                   const ami_metro_readout *r) {
  ami__meter_clock_sync(m);
  ami__meter_special_sync(m);
  ami__meter_schedule_sync(m);
  int64_t delta[AMI_METER_QTY_COUNT] = {0};
  if (r) {
    int64_t v[AMI_METER_QTY_COUNT];
    readout_totals(r, v);
    for (unsigned q = 0; q < AMI_METER_QTY_COUNT; q++) {
      if (m->have_base && v[q] >= m->base[q])
        delta[q] = v[q] - m->base[q];
      m->base[q] = v[q]; /* a metrology restart rebases, never subtracts */
    }
    m->have_base = true;
    m->last_r = *r;
    m->have_r = true;
  }
  uint64_t dev = ami_meter_device_time(m, now_utc_ms);
  uint64_t t0 = m->last_dev;
  int rc = AMI_OK;
  int64_t given[AMI_METER_QTY_COUNT] = {0};
  if (dev > t0) {
    uint64_t span = dev - t0;
    for (uint64_t b = (t0 / 60000 + 1) * 60000; b <= dev && rc == AMI_OK;
         b += 60000) {
      for (unsigned q = 0; q < AMI_METER_QTY_COUNT; q++) {
        int64_t upto = share(delta[q], b - t0, span);
        add_energy(m, q, upto - given[q]);
        given[q] = upto;
      }
      m->last_dev = b;
      rc = boundary(m, b);
    }
    m->last_dev = dev;
  }
  for (unsigned q = 0; q < AMI_METER_QTY_COUNT; q++)
    add_energy(m, q, delta[q] - given[q]);
  if (rc == AMI_OK && r)
    rc = readout_events(m, r, m->last_dev);
  return rc;
}

/* ---- read-back --------------------------------------------------------------
 */

int64_t ami_meter_energy(const ami_meter *m, ami_meter_qty q, unsigned rate) {
  if ((unsigned)q >= AMI_METER_QTY_COUNT || rate > AMI_METER_RATES)
    return 0;
  return m->acc[q][rate];
}

unsigned ami_meter_active_rate(const ami_meter *m) {
  return m->rate;
}

int64_t ami_meter_max_demand(const ami_meter *m, ami_meter_qty q,
                             unsigned rate) {
  if ((unsigned)q > AMI_METER_QTY_EXPORT || rate > AMI_METER_RATES)
    return 0;
  return m->maxd[q][rate];
}
